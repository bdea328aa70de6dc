internal import COpenSSL

/// AES-256-GCM authenticated encryption (OpenSSL `EVP_aes_256_gcm`), for store API keys at rest.
///
/// A fresh random 96-bit nonce per message and a 128-bit tag (DESIGN §5). The associated data
/// binds a ciphertext to its row (`tenant_id ‖ store row id ‖ key_version`), so a ciphertext
/// copied to another row fails to open.
public enum AESGCM {
    /// AES-256 key length in bytes.
    public static let keyByteCount = 32
    /// Nonce length in bytes: 96 bits, the size GCM is specified and analysed for.
    public static let nonceByteCount = 12
    /// Tag length in bytes: the full 128 bits; shorter tags weaken forgery resistance.
    public static let tagByteCount = 16

    /// Encrypts and authenticates `plaintext`, and authenticates `aad` without encrypting it.
    ///
    /// - Parameter nonce: leave nil in production: a random nonce is drawn for every call. Passing
    ///   one exists for published test vectors; reusing a nonce with the same key reveals plaintext
    ///   and the authentication key.
    /// - Throws: `CryptoError.invalidKeyLength` unless `key` is 32 bytes,
    ///   `CryptoError.invalidNonceLength` unless `nonce` is 12 bytes, `CryptoError.libraryFailure`.
    public static func seal(
        _ plaintext: [UInt8],
        key: [UInt8],
        authenticating aad: [UInt8],
        nonce: [UInt8]? = nil
    ) throws -> SealedBox {
        guard key.count == keyByteCount else { throw CryptoError.invalidKeyLength }
        let nonce = nonce ?? SecureRandom.bytes(nonceByteCount)
        guard nonce.count == nonceByteCount else { throw CryptoError.invalidNonceLength }
        try checkLengthFitsOpenSSL(plaintext.count)
        try checkLengthFitsOpenSSL(aad.count)

        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError.libraryFailure("EVP_CIPHER_CTX_new") }
        // EVP_CIPHER_CTX_free cleanses the expanded key schedule.
        defer { EVP_CIPHER_CTX_free(context) }

        guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceByteCount), nil) == 1,
            EVP_EncryptInit_ex(context, nil, nil, key, nonce) == 1
        else { throw CryptoError.libraryFailure("EVP_EncryptInit_ex") }

        var written: Int32 = 0
        if !aad.isEmpty {
            guard EVP_EncryptUpdate(context, nil, &written, aad, Int32(aad.count)) == 1 else {
                throw CryptoError.libraryFailure("EVP_EncryptUpdate(aad)")
            }
        }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        if !plaintext.isEmpty {
            guard EVP_EncryptUpdate(context, &ciphertext, &written, plaintext, Int32(plaintext.count)) == 1,
                Int(written) == plaintext.count
            else { throw CryptoError.libraryFailure("EVP_EncryptUpdate") }
        }
        // GCM is a stream mode: Final emits no bytes, but OpenSSL still wants a valid buffer.
        var trailing = [UInt8](repeating: 0, count: tagByteCount)
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        guard EVP_EncryptFinal_ex(context, &trailing, &written) == 1, written == 0,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagByteCount), &tag) == 1
        else { throw CryptoError.libraryFailure("EVP_EncryptFinal_ex") }
        return SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
    }

    /// Checks the tag and, only if it matches, returns the plaintext.
    ///
    /// A nonce or tag of the wrong length counts as tampering: such a box cannot have come from
    /// `seal`. No partially decrypted bytes are ever returned.
    /// - Throws: `CryptoError.authenticationFailed` for any mismatch of key, nonce, tag, ciphertext
    ///   or `aad`; `CryptoError.invalidKeyLength` unless `key` is 32 bytes.
    public static func open(_ box: SealedBox, key: [UInt8], authenticating aad: [UInt8]) throws -> [UInt8] {
        guard key.count == keyByteCount else { throw CryptoError.invalidKeyLength }
        guard box.nonce.count == nonceByteCount, box.tag.count == tagByteCount else {
            throw CryptoError.authenticationFailed
        }
        try checkLengthFitsOpenSSL(box.ciphertext.count)
        try checkLengthFitsOpenSSL(aad.count)

        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError.libraryFailure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }

        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceByteCount), nil) == 1,
            EVP_DecryptInit_ex(context, nil, nil, key, box.nonce) == 1
        else { throw CryptoError.libraryFailure("EVP_DecryptInit_ex") }

        var written: Int32 = 0
        if !aad.isEmpty {
            guard EVP_DecryptUpdate(context, nil, &written, aad, Int32(aad.count)) == 1 else {
                throw CryptoError.libraryFailure("EVP_DecryptUpdate(aad)")
            }
        }
        var plaintext = [UInt8](repeating: 0, count: box.ciphertext.count)
        if !box.ciphertext.isEmpty {
            guard EVP_DecryptUpdate(context, &plaintext, &written, box.ciphertext, Int32(box.ciphertext.count)) == 1,
                Int(written) == box.ciphertext.count
            else {
                plaintext.secureZero()
                throw CryptoError.libraryFailure("EVP_DecryptUpdate")
            }
        }
        var expectedTag = box.tag
        var trailing = [UInt8](repeating: 0, count: tagByteCount)
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagByteCount), &expectedTag) == 1 else {
            plaintext.secureZero()
            throw CryptoError.libraryFailure("EVP_CIPHER_CTX_ctrl(SET_TAG)")
        }
        // DecryptFinal compares the tags in constant time; on mismatch the plaintext is unauthenticated
        // and is wiped before anyone can see it.
        guard EVP_DecryptFinal_ex(context, &trailing, &written) == 1 else {
            plaintext.secureZero()
            ERR_clear_error()
            throw CryptoError.authenticationFailed
        }
        return plaintext
    }

    /// OpenSSL's EVP update calls take `int` lengths.
    private static func checkLengthFitsOpenSSL(_ count: Int) throws {
        guard count <= Int(Int32.max) else { throw CryptoError.invalidParameters("input longer than 2 GiB") }
    }
}
