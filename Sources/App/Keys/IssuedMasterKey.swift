import Cryptography
import Foundation
import Postgres

/// A freshly generated master key and what the database keeps of it: the HMAC fingerprint (lookup)
/// and the argon2id hash (verification). The key itself is handed to the operator once.
struct IssuedMasterKey: Sendable {
    let key: String
    let fingerprint: [UInt8]
    let hash: String
    let prefix: String

    /// Generates a key; argon2 runs on the hasher's own threads.
    static func generate(pepper: [UInt8], hasher: KeyHasher) async throws -> IssuedMasterKey {
        let key = MasterKey.generate()
        return IssuedMasterKey(
            key: key, fingerprint: MasterKey.fingerprint(key, pepper: pepper), hash: try await hasher.hash(key),
            prefix: MasterKey.displayPrefix(key))
    }

    /// Stores the key's metadata for `tenantID` and returns the key's id.
    /// `storeIDs` nil = every store.
    func insert(
        tenantID: UUID, scopeNames: [String], label: String?, storeIDs: [String]? = nil, in tx: TenantTransaction
    ) throws -> UUID {
        try tx.query(
            """
            INSERT INTO orderdesk.master_key_metadata (tenant_id, fingerprint, key_hash, prefix, label, scopes, store_ids)
            VALUES (
                \(tenantID), \(fingerprint), \(hash), \(prefix), \(label), \(PostgresTextArray(scopeNames)),
                \(storeIDs.map(PostgresTextArray.init)))
            RETURNING id
            """)[0].decode(UUID.self, "id")
    }
}
