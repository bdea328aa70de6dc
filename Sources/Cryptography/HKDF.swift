internal import COpenSSL

/// HKDF with SHA-256 (RFC 5869), computed by OpenSSL 3's `EVP_KDF` "HKDF".
///
/// Used to derive one AES key per tenant from the server's `ENCRYPTION_KEY` (DESIGN §5), so a
/// key leaked for one tenant says nothing about another.
public enum HKDF {
    /// The most HKDF-SHA256 can produce: 255 blocks of 32 bytes (RFC 5869 §2.3).
    public static let maximumOutputByteCount = 255 * 32

    /// Extracts from `inputKeyMaterial` with `salt`, then expands with `info` to `outputByteCount` bytes.
    ///
    /// An empty salt means RFC 5869's default (32 zero bytes); empty `info` is allowed.
    /// - Throws: `CryptoError.invalidOutputLength` outside `1...maximumOutputByteCount`,
    ///   `CryptoError.libraryFailure` if OpenSSL fails.
    public static func deriveKey(
        inputKeyMaterial: [UInt8],
        salt: [UInt8],
        info: [UInt8],
        outputByteCount: Int
    ) throws -> [UInt8] {
        guard (1...maximumOutputByteCount).contains(outputByteCount) else {
            throw CryptoError.invalidOutputLength
        }
        guard let kdf = EVP_KDF_fetch(nil, "HKDF", nil) else {
            throw CryptoError.libraryFailure("EVP_KDF_fetch(HKDF)")
        }
        defer { EVP_KDF_free(kdf) }
        guard let context = EVP_KDF_CTX_new(kdf) else {
            throw CryptoError.libraryFailure("EVP_KDF_CTX_new")
        }
        // Freeing the context also cleanses the copies of key, salt and info OpenSSL made.
        defer { EVP_KDF_CTX_free(context) }

        var output = [UInt8](repeating: 0, count: outputByteCount)
        let status = inputKeyMaterial.withNonNullBytes { key, keyCount in
            salt.withNonNullBytes { saltBytes, saltCount in
                info.withNonNullBytes { infoBytes, infoCount in
                    // OSSL_PARAM stores pointers, not copies: every pointer below must stay valid
                    // until EVP_KDF_derive returns, hence static names and the nested closures.
                    var parameters = [
                        OSSL_PARAM_construct_utf8_string(ParameterName.digest, ParameterName.sha256, 0),
                        OSSL_PARAM_construct_octet_string(
                            ParameterName.key, UnsafeMutableRawPointer(mutating: key), keyCount),
                    ]
                    if saltCount > 0 {
                        parameters.append(
                            OSSL_PARAM_construct_octet_string(
                                ParameterName.salt, UnsafeMutableRawPointer(mutating: saltBytes), saltCount))
                    }
                    if infoCount > 0 {
                        parameters.append(
                            OSSL_PARAM_construct_octet_string(
                                ParameterName.info, UnsafeMutableRawPointer(mutating: infoBytes), infoCount))
                    }
                    parameters.append(OSSL_PARAM_construct_end())
                    return output.withUnsafeMutableBufferPointer { buffer in
                        EVP_KDF_derive(context, buffer.baseAddress, buffer.count, parameters)
                    }
                }
            }
        }
        guard status == 1 else {
            output.secureZero()
            throw CryptoError.libraryFailure("EVP_KDF_derive")
        }
        return output
    }

    /// C strings in the binary's constant data, so OSSL_PARAM may keep pointers to them for as
    /// long as it likes. Computed, because raw pointers cannot be `Sendable` stored statics.
    private enum ParameterName {
        static var digest: UnsafePointer<CChar> { cString("digest") }
        static var key: UnsafePointer<CChar> { cString("key") }
        static var salt: UnsafePointer<CChar> { cString("salt") }
        static var info: UnsafePointer<CChar> { cString("info") }
        /// Mutable only because OSSL_PARAM_construct_utf8_string's signature says so; never written.
        static var sha256: UnsafeMutablePointer<CChar> { UnsafeMutablePointer(mutating: cString("SHA256")) }

        private static func cString(_ literal: StaticString) -> UnsafePointer<CChar> {
            UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
        }
    }
}
