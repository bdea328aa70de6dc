internal import COpenSSL

/// SHA-256 (FIPS 180-4) via OpenSSL's `EVP_Digest`.
///
/// Unkeyed: fine for integrity and identifiers, not for secrets a guess could be tested against
/// (use `HMACSHA256` with a pepper, or `Argon2id`, for those).
public enum SHA256 {
    /// Length of a digest in bytes.
    public static let byteCount = 32

    /// The 32-byte digest of `data`.
    ///
    /// Stops the process if OpenSSL cannot compute it (libcrypto unusable); there is no safe fallback.
    public static func hash(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        var digestLength: UInt32 = 0
        let status = data.withNonNullBytes { bytes, count in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(bytes, count, output.baseAddress, &digestLength, EVP_sha256(), nil)
            }
        }
        guard status == 1, digestLength == UInt32(byteCount) else {
            fatalError("OpenSSL SHA-256 failed; libcrypto is unusable")
        }
        return digest
    }

    /// The digest of `data` as 64 lowercase hex characters.
    public static func hexDigest(_ data: [UInt8]) -> String {
        hash(data).hexString
    }

    /// The digest of the UTF-8 bytes of `text` as 64 lowercase hex characters.
    public static func hexDigest(_ text: String) -> String {
        hexDigest(Array(text.utf8))
    }
}
