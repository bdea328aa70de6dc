import Cryptography

extension EncryptionKeyring {
    /// A 32-byte key for one `purpose`, derived from the current key with HKDF-SHA256 (`info` =
    /// `purpose`), so a key used to sign page forms says nothing about the one that encrypts store
    /// credentials. A rotation changes it: what was signed with the old one stops verifying.
    public func derivedKey(purpose: String) throws -> [UInt8] {
        try HKDF.deriveKey(
            inputKeyMaterial: key(version: currentVersion)!, salt: Array("orderdesk-mcp derived key".utf8),
            info: Array(purpose.utf8), outputByteCount: 32)
    }
}
