import Foundation
import Postgres

/// What `orderdesk.lookup_master_key_v2` tells about a fingerprint: just enough to verify the key and
/// decide whether to accept it.
struct MasterKeyRecord: Sendable {
    let keyID: UUID
    let tenantID: UUID
    let keyHash: String
    let scopes: Set<KeyScope>
    let revoked: Bool
    let tenantActive: Bool
    /// The OrderDesk store ids the key is limited to; nil = all the tenant's stores.
    let storeIDs: Set<String>?

    /// The key row whose fingerprint is `fingerprint`, through the SECURITY DEFINER function (no
    /// tenant is known yet, so row-level security would show nothing else).
    static func find(fingerprint: [UInt8], in tx: TenantTransaction) throws -> MasterKeyRecord? {
        let rows = try tx.query(
            """
            SELECT key_id, tenant_id, key_hash, scopes, revoked, tenant_active, store_ids
            FROM orderdesk.lookup_master_key_v2(\(fingerprint))
            """)
        guard let row = rows.first else { return nil }
        return MasterKeyRecord(
            keyID: try row.decode(UUID.self, "key_id"), tenantID: try row.decode(UUID.self, "tenant_id"),
            keyHash: try row.decode(String.self, "key_hash"),
            scopes: KeyScope.parse(try row.decode(PostgresTextArray.self, "scopes").elements),
            revoked: try row.decode(Bool.self, "revoked"), tenantActive: try row.decode(Bool?.self, "tenant_active") ?? false,
            storeIDs: try row.decode(PostgresTextArray?.self, "store_ids").map { Set($0.elements) })
    }
}
