internal import COpenSSL

extension Array where Element == UInt8 {
    /// Calls `body` with a pointer that is never nil, even for an empty array.
    ///
    /// OpenSSL and libargon2 read a NULL pointer as "parameter not supplied" even when the length
    /// is zero, which turns a legitimately empty input (an empty HMAC key, RFC 5869's empty salt)
    /// into an error. The pointer is valid only inside `body`.
    func withNonNullBytes<Result>(
        _ body: (UnsafeRawPointer, Int) throws -> Result
    ) rethrows -> Result {
        try withUnsafeBytes { buffer in
            if let base = buffer.baseAddress {
                return try body(base, buffer.count)
            }
            return try withUnsafePointer(to: UInt8(0)) { placeholder in
                try body(UnsafeRawPointer(placeholder), 0)
            }
        }
    }

    /// Overwrites the bytes with zeros through `OPENSSL_cleanse`, which the optimiser cannot drop
    /// as a dead store.
    ///
    /// Best effort only: Swift arrays are copy-on-write, so copies made earlier keep their bytes.
    /// Used on temporaries this module created, where it is cheap and shortens a secret's life.
    mutating func secureZero() {
        withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            OPENSSL_cleanse(base, buffer.count)
        }
    }
}
