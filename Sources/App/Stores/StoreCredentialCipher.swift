import Cryptography
import Foundation

/// Encrypts a store's OrderDesk API key for its row in `orderdesk.stores` (DESIGN §5).
///
/// Key: HKDF-SHA256(IKM = the keyring key of the row's `key_version`, salt = `tenants.hkdf_salt`,
/// info = `"orderdesk-mcp/v1/store-credentials/" + tenant uuid`), so each tenant has its own key
/// and a database dump alone (salts, ciphertexts) reveals nothing.
/// Cipher: AES-256-GCM, a random 96-bit nonce per encryption, 128-bit tag, and associated data
/// `tenant uuid (16 bytes) ‖ store row uuid (16 bytes) ‖ key_version (4 bytes, big-endian)`: a
/// ciphertext copied to another row, tenant or version does not decrypt.
public struct StoreCredentialCipher: Sendable {
    /// What is stored: the four `api_key_*` / `key_version` columns of a store row.
    public struct Sealed: Sendable, Hashable {
        public let ciphertext: [UInt8]
        public let tag: [UInt8]
        public let nonce: [UInt8]
        public let keyVersion: Int

        public init(ciphertext: [UInt8], tag: [UInt8], nonce: [UInt8], keyVersion: Int) {
            self.ciphertext = ciphertext
            self.tag = tag
            self.nonce = nonce
            self.keyVersion = keyVersion
        }
    }

    /// Where a ciphertext belongs: the associated data, and the tenant's HKDF salt.
    public struct Binding: Sendable {
        public let tenantID: UUID
        public let tenantSalt: [UInt8]
        public let storeRowID: UUID

        public init(tenantID: UUID, tenantSalt: [UInt8], storeRowID: UUID) {
            self.tenantID = tenantID
            self.tenantSalt = tenantSalt
            self.storeRowID = storeRowID
        }
    }

    private let keyring: EncryptionKeyring

    public init(keyring: EncryptionKeyring) {
        self.keyring = keyring
    }

    /// Encrypts `apiKey` under the keyring's current version for the row `binding` describes.
    public func seal(apiKey: String, for binding: Binding) throws -> Sealed {
        let version = keyring.currentVersion
        let key = try tenantKey(version: version, binding: binding)
        let box = try AESGCM.seal(Array(apiKey.utf8), key: key, authenticating: Self.aad(binding, version: version))
        return Sealed(ciphertext: box.ciphertext, tag: box.tag, nonce: box.nonce, keyVersion: version)
    }

    /// Decrypts a row's API key.
    ///
    /// - Throws: `CryptoError.authenticationFailed` when the ciphertext was altered or belongs to
    ///   another row, tenant or key version; `ConfigurationError` when the keyring lacks the row's
    ///   key version (an old key was removed before its rows were re-encrypted).
    public func open(_ sealed: Sealed, for binding: Binding) throws -> String {
        let key = try tenantKey(version: sealed.keyVersion, binding: binding)
        let plaintext = try AESGCM.open(
            AESGCM.SealedBox(nonce: sealed.nonce, ciphertext: sealed.ciphertext, tag: sealed.tag), key: key,
            authenticating: Self.aad(binding, version: sealed.keyVersion))
        guard let apiKey = String(validating: plaintext, as: UTF8.self) else { throw CryptoError.authenticationFailed }
        return apiKey
    }

    private func tenantKey(version: Int, binding: Binding) throws -> [UInt8] {
        guard let master = keyring.key(version: version) else {
            throw ConfigurationError(
                variable: "ENCRYPTION_KEYS",
                problem: "has no key v\(version), which encrypted a stored credential; add it back")
        }
        return try HKDF.deriveKey(
            inputKeyMaterial: master, salt: binding.tenantSalt,
            info: Array(("orderdesk-mcp/v1/store-credentials/" + binding.tenantID.uuidString.lowercased()).utf8),
            outputByteCount: AESGCM.keyByteCount)
    }

    /// `tenant uuid ‖ store row uuid ‖ key_version (UInt32 big-endian)`: 36 bytes.
    static func aad(_ binding: Binding, version: Int) -> [UInt8] {
        let versionBytes = withUnsafeBytes(of: UInt32(truncatingIfNeeded: version).bigEndian) { Array($0) }
        return binding.tenantID.bytes + binding.storeRowID.bytes + versionBytes
    }
}

fileprivate extension UUID {
    /// The 16 bytes of the uuid, in the order of its text form.
    var bytes: [UInt8] { withUnsafeBytes(of: uuid) { Array($0) } }
}
