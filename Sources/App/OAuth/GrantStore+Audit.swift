import Foundation
import Postgres

extension GrantStore {
    /// Revokes one of the tenant's grants and every token issued under it, and when it was live
    /// appends `audit` in the same transaction: the revocation and its audit row land together or
    /// not at all. The record's tenant and target are set to the grant's.
    /// - Returns: false (and no audit row) when the tenant has no such grant or it was already revoked.
    public func revokeGrant(tenantID: UUID, grantID: UUID, audit: AuditRecord) async throws -> Bool {
        let record = {
            var record = audit
            record.tenantID = tenantID
            record.target = grantID.uuidString.lowercased()
            return record
        }()
        return try await database.withTenantTransaction(tenantID) { tx in
            guard try Self.revokeGrant(grantID, in: tx) else { return false }
            try record.insert(in: tx)
            return true
        }
    }
}
