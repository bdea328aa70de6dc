import Cryptography
import Foundation
import Postgres

/// Session authentication for clients that cannot send an `Authorization` header: the session
/// remembers which master key `tenant_use_master_key` presented, and each request authorized by the
/// session id alone gets that key's scopes and store limit, as long as the key is not revoked and the tenant is active.
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

    /// Whom a request that brings only the session id acts as: the key `tenant_use_master_key`
    /// attached (`.active`), nobody because no key was ever attached (a Bearer client's session:
    /// `.none`), or nobody any more because that key was revoked or its tenant disabled (`.withdrawn`).
    public func login(sessionID: String, tenantID: UUID) async throws -> SessionLogin {
        let idHash = MCPSession.idHash(sessionID)
        // Every session-authenticated request asks this: one statement, one round trip.
        let rows = try await database.statement(
            """
            SELECT k.id, k.prefix, k.scopes, k.store_ids, (k.revoked_at IS NULL AND t.status = 'active') AS live
            FROM orderdesk.sessions s
            LEFT JOIN orderdesk.master_key_metadata k ON k.tenant_id = s.tenant_id AND k.id = s.auth_key_id
            LEFT JOIN orderdesk.tenants t ON t.id = s.tenant_id
            WHERE s.id_hash = \(idHash)
            """, tenant: tenantID
        ).rows
        guard let row = rows.first, let keyID = try row.decode(UUID?.self, "id") else { return .none }
        guard try row.decode(Bool?.self, "live") == true else { return .withdrawn }
        let scopes = try row.decode(PostgresTextArray.self, "scopes").elements.compactMap(KeyScope.init(rawValue:))
        return .active(
            TenantPrincipal(
                tenantID: tenantID, keyID: keyID, keyPrefix: try row.decode(String.self, "prefix"), scopes: Set(scopes),
                storeIDs: try row.decode(PostgresTextArray?.self, "store_ids").map { Set($0.elements) }))
    }
}

/// What the session id alone authorizes (`SessionKeyBinding.login`).
public enum SessionLogin: Sendable, Equatable {
    case none
    case active(TenantPrincipal)
    case withdrawn
}
