internal import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's seeded DRBG (`RAND_bytes`).
public enum SecureRandom {
    /// Returns `count` random bytes, for keys, nonces and salts.
    ///
    /// Stops the process if OpenSSL cannot produce them (its generator could not be seeded).
    /// Returning weaker bytes, or an error a caller might swallow, invites carrying on with a
    /// predictable key or a repeated nonce; on a healthy system this never happens.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "SecureRandom.bytes: count out of range")
        guard count > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        let status = buffer.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard status == 1 else {
            // fatalError, not precondition: it must also stop the process in -Ounchecked builds.
            fatalError("OpenSSL RAND_bytes failed; refusing to continue without secure randomness")
        }
        return buffer
    }
}
