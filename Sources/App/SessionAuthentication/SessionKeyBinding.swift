import Cryptography
import Foundation
import Postgres

/// Session authentication for clients that cannot send an `Authorization` header: the session
/// remembers which master key `tenant_use_master_key` presented, and each request authorized by the
/// session id alone gets that key's scopes, as long as the key is not revoked and the tenant is active.
public final class SessionKeyBinding: Sendable {
    private let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Records the key that authenticated the (already bound) session.
    public func attach(sessionID: String, principal: TenantPrincipal) async throws {
        let idHash = MCPSession.idHash(sessionID)
        try await database.withTenantTransaction(principal.tenantID) { tx in
            try tx.execute(
                """
                UPDATE orderdesk.sessions SET auth_key_id = \(principal.keyID)
                WHERE id_hash = \(idHash) AND tenant_id = \(principal.tenantID)
                """)
        }
    }

    /// The principal a session-authenticated request acts as; nil when the session has no key, the
    /// key was revoked, or the tenant is disabled.
    public func principal(sessionID: String, tenantID: UUID) async throws -> TenantPrincipal? {
        let idHash = MCPSession.idHash(sessionID)
        return try await database.withTenantTransaction(tenantID) { tx in
            let rows = try tx.query(
                """
                SELECT k.id, k.prefix, k.scopes
                FROM orderdesk.sessions s
                JOIN orderdesk.master_key_metadata k ON k.tenant_id = s.tenant_id AND k.id = s.auth_key_id
                JOIN orderdesk.tenants t ON t.id = s.tenant_id
                WHERE s.id_hash = \(idHash) AND k.revoked_at IS NULL AND t.status = 'active'
                """)
            guard let row = rows.first else { return nil }
            let scopes = try row.decode(PostgresTextArray.self, "scopes").elements.compactMap(KeyScope.init(rawValue:))
            return TenantPrincipal(
                tenantID: tenantID, keyID: try row.decode(UUID.self, "id"), keyPrefix: try row.decode(String.self, "prefix"),
                scopes: Set(scopes))
        }
    }
}
