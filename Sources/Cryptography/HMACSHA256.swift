internal import COpenSSL

/// HMAC with SHA-256 (RFC 2104), via OpenSSL's one-shot `HMAC`.
///
/// Used for master-key fingerprints (`HMAC(MASTER_KEY_PEPPER, key)`): a keyed hash, so a
/// database dump without the pepper cannot be used to test guessed keys.
public enum HMACSHA256 {
    /// Length of an authentication code in bytes.
    public static let byteCount = 32

    /// The 32-byte authentication code of `message` under `key` (any key length, empty allowed).
    ///
    /// Stops the process if OpenSSL cannot compute it, which only happens when libcrypto itself
    /// is broken (allocation failure, SHA-256 unavailable); there is no safe fallback value.
    public static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        precondition(key.count <= Int(Int32.max), "HMAC key too long")
        var code = [UInt8](repeating: 0, count: byteCount)
        var codeLength: UInt32 = 0
        let result = key.withNonNullBytes { keyBytes, keyCount in
            message.withNonNullBytes { messageBytes, messageCount in
                code.withUnsafeMutableBufferPointer { output in
                    HMAC(
                        EVP_sha256(), keyBytes, Int32(keyCount),
                        messageBytes.assumingMemoryBound(to: UInt8.self), messageCount,
                        output.baseAddress, &codeLength)
                }
            }
        }
        guard result != nil, codeLength == UInt32(byteCount) else {
            fatalError("OpenSSL HMAC-SHA256 failed; libcrypto is unusable")
        }
        return code
    }

    /// Whether `code` is the authentication code of `message` under `key`, compared in constant time.
    public static func isValidAuthenticationCode(_ code: [UInt8], key: [UInt8], message: [UInt8]) -> Bool {
        ConstantTime.equals(code, authenticationCode(key: key, message: message))
    }
}
