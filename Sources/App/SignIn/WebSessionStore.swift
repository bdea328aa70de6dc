import Cryptography
import Foundation
import Postgres

/// A signed-in browser: a tenant member, for one tenant.
public struct WebSession: Sendable, Hashable {
    public let tenantID: UUID
    /// The tenant's name, for the pages' heading.
    public let tenantName: String
    /// The member who signed in (normalized).
    public let email: MemberEmail
    /// 32 bytes that only the holder of the session cookie can know, stable for the session's life:
    /// HMAC-SHA256(key: the session id, message: "orderdesk-mcp web csrf v1"). Not stored anywhere.
    /// Make CSRF tokens from it (e.g. base64url of HMAC(csrfSecret, form name)) and compare them in
    /// constant time.
    public let csrfSecret: [UInt8]
    /// When the session ends (absolute: using it does not extend it).
    public let expiresAt: Date
}

/// Web sessions (the consent and grants pages) in `orderdesk.sessions` with kind `web`, always bound
/// to a tenant and to the member who signed in (`member_email`).
///
/// The session id (the `__Host-odmcp_web` cookie value) is 32 random bytes in base64url; only its
/// SHA-256 is stored. The lifetime is absolute (`ttl` from sign-in, not extended by use). A web
/// session id is never an MCP session and the other way round: both stores check `kind`.
public final class WebSessionStore: Sendable {
    let database: Database
    /// How long a web session lives (`WEB_SESSION_TTL_SECONDS`, default 28800 = 8 hours).
    public let ttl: Duration

    public init(database: Database, ttl: Duration = .seconds(28_800)) {
        self.database = database
        self.ttl = ttl
    }

    /// `WEB_SESSION_TTL_SECONDS`: 300 to 604800 (7 days), default 28800.
    public static func ttl(reader: EnvironmentReader) throws -> Duration {
        .seconds(try reader.integer("WEB_SESSION_TTL_SECONDS", default: 28_800, range: 300...604_800))
    }

    /// Starts a web session after a magic link was redeemed.
    ///
    /// - Returns: the session id for the cookie, the only time it exists in plaintext.
    /// - Throws: `WebSessionStore.TenantUnavailable` when the tenant is unknown or disabled.
    public func create(tenantID: UUID, email: MemberEmail) async throws -> String {
        let id = SignInSecret.generate()
        let hash = SignInSecret.hash(id)
        let seconds = SignInSecret.seconds(ttl)
        let inserted = try await database.statement(
            """
            INSERT INTO orderdesk.sessions (id_hash, kind, tenant_id, member_email, expires_at)
            SELECT \(hash), 'web', t.id, \(email.address), now() + make_interval(secs => \(seconds))
            FROM orderdesk.tenants AS t
            WHERE t.id = \(tenantID) AND t.status = 'active'
            """, tenant: tenantID
        ).affectedRows
        guard inserted == 1 else { throw TenantUnavailable() }
        return id
    }

    /// The live web session with this id, or nil when it is malformed, unknown, an MCP session,
    /// expired, ended, revoked, its tenant is disabled, or its member is no longer a member of the
    /// tenant (checked in the same query: removing a member stops their sessions at once).
    public func find(_ id: String) async throws -> WebSession? {
        guard SignInSecret.isWellFormed(id) else { return nil }
        let hash = SignInSecret.hash(id)
        guard let tenantID = try await liveTenant(hash) else { return nil }
        guard
            let row = try await database.statement(
                """
                SELECT s.member_email, s.expires_at, t.name AS tenant_name
                FROM orderdesk.sessions AS s
                JOIN orderdesk.tenants AS t ON t.id = s.tenant_id AND t.status = 'active'
                WHERE s.id_hash = \(hash) AND s.kind = 'web' AND s.tenant_id = \(tenantID)
                  AND s.revoked_at IS NULL AND s.expires_at > now()
                  AND EXISTS (
                      SELECT 1 FROM orderdesk.tenant_members AS m
                      WHERE m.tenant_id = s.tenant_id AND m.email = s.member_email)
                """, tenant: tenantID
            ).rows.first,
            let email = try row.decode(String?.self, "member_email")
        else { return nil }
        return WebSession(
            tenantID: tenantID, tenantName: try row.decode(String.self, "tenant_name"),
            email: MemberEmail(stored: email), csrfSecret: Self.csrfSecret(id),
            expiresAt: try row.decode(Date.self, "expires_at"))
    }

    /// Ends the session (sign out). Unknown, malformed or MCP ids change nothing.
    public func end(_ id: String) async throws {
        guard SignInSecret.isWellFormed(id) else { return }
        let hash = SignInSecret.hash(id)
        guard
            let tenantID = try await database.statement(
                "SELECT tenant_id FROM orderdesk.lookup_session(\(hash)) WHERE kind = 'web'", tenant: nil
            ).rows.first?.decode(UUID?.self, "tenant_id")
        else { return }
        try await database.statement(
            "DELETE FROM orderdesk.sessions WHERE id_hash = \(hash) AND kind = 'web'", tenant: tenantID)
    }

    /// The tenant of a live web session, through the SECURITY DEFINER lookup.
    private func liveTenant(_ hash: [UInt8]) async throws -> UUID? {
        try await database.statement(
            """
            SELECT tenant_id FROM orderdesk.lookup_session(\(hash))
            WHERE kind = 'web' AND NOT revoked AND expires_at > now() AND coalesce(tenant_active, false)
            """, tenant: nil
        ).rows.first?.decode(UUID?.self, "tenant_id")
    }

    static let csrfLabel = Array("orderdesk-mcp web csrf v1".utf8)

    static func csrfSecret(_ id: String) -> [UInt8] {
        HMACSHA256.authenticationCode(key: Array(id.utf8), message: csrfLabel)
    }

    /// `create` was asked for a tenant that is unknown or disabled.
    public struct TenantUnavailable: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String { "the tenant is unknown or disabled" }
    }
}
