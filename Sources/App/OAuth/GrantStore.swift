import Foundation
import Postgres

/// OAuth 2.1 grants, authorization codes and tokens (`orderdesk.oauth_grants`, `oauth_codes`,
/// `oauth_tokens`), shared by every replica.
///
/// Codes and tokens exist in plaintext only in the return values; the database keeps their SHA-256
/// (`OAuthTokenFormat`). Every expiry is the database's `now()` plus a lifetime, and every check
/// compares with the database's `now()`: one clock for all replicas (tests use short lifetimes).
///
/// Rules the token endpoint relies on:
/// - A code is single use. The first exchange attempt burns it, right or wrong, so a stolen code
///   cannot be tried against several verifiers; a second attempt is `invalid_grant` and revokes
///   the grant with every token issued under it (RFC 6749 §4.1.2, OAuth 2.1 §4.1.3).
/// - A refresh answers a new access token and a new refresh token and marks the old refresh token
///   used. Presenting a used refresh token again is `invalid_grant` and revokes the grant. Two
///   refreshes of one token at the same time are serialized by a row lock: the first wins, the
///   second is a reuse (indistinguishable from a replay) and revokes the grant.
/// - The access token issued before a refresh stays valid until it expires (only the refresh token
///   rotates); access tokens are short-lived and revocable one by one.
public final class GrantStore: Sendable {
    let database: Database
    /// Lifetime of an access token (`OAUTH_ACCESS_TOKEN_TTL_SECONDS`, default 600).
    public let accessTokenTTL: Duration
    /// Lifetime of each refresh token, counted from its issue (`OAUTH_REFRESH_TOKEN_TTL_DAYS`, default 30).
    public let refreshTokenTTL: Duration

    public init(
        database: Database, accessTokenTTL: Duration = .seconds(600), refreshTokenTTL: Duration = .seconds(30 * 86_400)
    ) {
        self.database = database
        self.accessTokenTTL = accessTokenTTL
        self.refreshTokenTTL = refreshTokenTTL
    }

    /// Records a member's consent. The tenant must be active and `memberEmail` one of its members.
    ///
    /// - Parameters:
    ///   - storeIDs: OrderDesk store ids the tokens may select, or nil for all the tenant's stores.
    ///   - resource: the RFC 8707 resource the tokens are for (the server's `/mcp` URL).
    /// - Throws: `OAuthError(.invalidRequest, .malformed)` for empty scopes or an out-of-range value,
    ///   `OAuthError(.invalidRequest, .tenantDisabled)` when the tenant is unknown or disabled,
    ///   `OAuthError(.invalidRequest, .notMember)` when the address is no longer a member.
    public func createGrant(
        tenantID: UUID, clientID: String, clientName: String, memberEmail: MemberEmail, scopes: Set<OAuthScope>,
        storeIDs: Set<String>?, resource: String
    ) async throws -> OAuthGrant {
        try await database.withTenantTransaction(tenantID) { tx in
            try self.createGrant(
                tenantID: tenantID, clientID: clientID, clientName: clientName, memberEmail: memberEmail, scopes: scopes,
                storeIDs: storeIDs, resource: resource, in: tx)
        }
    }

    /// `createGrant` inside the caller's transaction of `tenantID`, so that the grant commits or
    /// rolls back with the caller's other writes (the consent's request, audit row and code). A
    /// CHECK violation aborts that transaction.
    public func createGrant(
        tenantID: UUID, clientID: String, clientName: String, memberEmail: MemberEmail, scopes: Set<OAuthScope>,
        storeIDs: Set<String>?, resource: String, in transaction: TenantTransaction
    ) throws -> OAuthGrant {
        guard !scopes.isEmpty, Self.isBounded(clientID, 2048), Self.isBounded(clientName, 200),
            Self.isBounded(resource, 2048), storeIDs.map({ (1...Self.maximumStores).contains($0.count) }) ?? true
        else { throw OAuthError(.invalidRequest, .malformed) }
        let scopeNames = PostgresTextArray(OAuthScope.sortedNames(scopes))
        let stores = storeIDs.map { PostgresTextArray($0.sorted()) }
        let row = try Self.mappingCheckViolations {
            try transaction.query(
                """
                INSERT INTO orderdesk.oauth_grants
                    (tenant_id, client_id, client_name, member_email, scopes, store_ids, resource)
                SELECT t.id, \(clientID), \(clientName), \(memberEmail.address), \(scopeNames), \(stores), \(resource)
                FROM orderdesk.tenants AS t
                WHERE t.id = \(tenantID) AND t.status = 'active'
                  AND EXISTS (SELECT 1 FROM orderdesk.tenant_members AS m
                              WHERE m.tenant_id = t.id AND m.email = \(memberEmail.address))
                RETURNING \(unsafeSQL: Self.grantColumns)
                """
            ).first.map(Self.grant)
        }
        guard let row else {
            // Either the tenant is disabled or the address is no longer its member: say which.
            let active =
                try transaction.query(
                    "SELECT 1 FROM orderdesk.tenants WHERE id = \(tenantID) AND status = 'active'"
                ).isEmpty == false
            throw OAuthError(.invalidRequest, active ? .notMember : .tenantDisabled)
        }
        return row
    }

    /// The most stores one grant may name (`oauth_grants.store_ids`); more is "all stores".
    public static let maximumStores = 100

    /// Issues a single-use authorization code for a live grant, bound to the grant's client and
    /// resource, `redirectURI` (compared exactly at the exchange) and the PKCE S256 `codeChallenge`.
    ///
    /// - Returns: the code (`odac_…`), the only time it exists in plaintext.
    /// - Throws: `OAuthError(.invalidRequest, .malformed)` for a malformed challenge or redirect URI;
    ///   `OAuthError(.invalidGrant, .revoked)` when the grant is revoked or not the tenant's.
    public func issueCode(
        tenantID: UUID, grantID: UUID, redirectURI: String, codeChallenge: String, ttl: Duration = .seconds(60)
    ) async throws -> String {
        try await database.withTenantTransaction(tenantID) { tx in
            try self.issueCode(
                tenantID: tenantID, grantID: grantID, redirectURI: redirectURI, codeChallenge: codeChallenge, ttl: ttl,
                in: tx)
        }
    }

    /// `issueCode` inside the caller's transaction of `tenantID` (a grant created in it is seen).
    public func issueCode(
        tenantID: UUID, grantID: UUID, redirectURI: String, codeChallenge: String, ttl: Duration = .seconds(60),
        in transaction: TenantTransaction
    ) throws -> String {
        guard PKCE.isWellFormedChallenge(codeChallenge), Self.isBounded(redirectURI, 2048), ttl > .zero else {
            throw OAuthError(.invalidRequest, .malformed)
        }
        let code = OAuthTokenFormat.code.generate()
        let hash = OAuthTokenFormat.hash(code)
        let seconds = Self.seconds(ttl)
        let inserted = try Self.mappingCheckViolations {
            try transaction.execute(
                """
                INSERT INTO orderdesk.oauth_codes
                    (code_hash, tenant_id, grant_id, redirect_uri, code_challenge, resource, expires_at)
                SELECT \(hash), g.tenant_id, g.id, \(redirectURI), \(codeChallenge), g.resource,
                       now() + make_interval(secs => \(seconds))
                FROM orderdesk.oauth_grants AS g
                WHERE g.tenant_id = \(tenantID) AND g.id = \(grantID) AND g.revoked_at IS NULL
                """)
        }
        guard inserted == 1 else { throw OAuthError.grant(.revoked) }
        return code
    }

    /// The live access token `token`, or nil when it is malformed, unknown, expired, revoked (itself
    /// or its grant), a refresh token, or its tenant is disabled. One round trip, before any tenant is
    /// known. Comparing `resource` with the server's own (the audience check) is the caller's job.
    public func verifyAccessToken(_ token: String) async throws -> VerifiedAccessToken? {
        guard OAuthTokenFormat.access.matches(token) else { return nil }
        let hash = OAuthTokenFormat.hash(token)
        let rows = try await database.statement(
            """
            SELECT tenant_id, grant_id, scopes, store_ids, resource, expires_at
            FROM orderdesk.lookup_oauth_token(\(hash))
            WHERE kind = 'access' AND revoked_at IS NULL AND expires_at > now() AND tenant_active
            """, tenant: nil
        ).rows
        return try rows.first.map { row in
            VerifiedAccessToken(
                tenantID: try row.decode(UUID.self, "tenant_id"), grantID: try row.decode(UUID.self, "grant_id"),
                scopes: OAuthScope.parse(try row.decode(PostgresTextArray.self, "scopes").elements),
                storeIDs: try row.decode(PostgresTextArray?.self, "store_ids").map { Set($0.elements) },
                resource: try row.decode(String.self, "resource"), expiresAt: try row.decode(Date.self, "expires_at"))
        }
    }

    /// Token revocation (RFC 7009): an access token revokes itself, a refresh token its whole grant.
    /// Anything else (malformed, unknown, a code, already revoked, or issued to another client when
    /// `clientID` is given) changes nothing and is not an error, so the answer tells nothing.
    ///
    /// - Returns: the grant, when a refresh token revoked it just now (for an audit row); nil otherwise.
    @discardableResult
    public func revoke(token: String, clientID: String?) async throws -> RevokedGrant? {
        guard let kind = OAuthTokenFormat.kind(of: token), kind != .code else { return nil }
        let hash = OAuthTokenFormat.hash(token)
        guard let owner = try await lookupToken(hash) else { return nil }
        return try await database.withTenantTransaction(owner.tenantID) { tx -> RevokedGrant? in
            guard
                let row = try tx.query(
                    """
                    SELECT k.grant_id, g.client_id FROM orderdesk.oauth_tokens AS k
                    JOIN orderdesk.oauth_grants AS g ON g.tenant_id = k.tenant_id AND g.id = k.grant_id
                    WHERE k.token_hash = \(hash)
                    """
                ).first
            else { return nil }
            if let clientID, try row.decode(String.self, "client_id") != clientID { return nil }
            switch kind {
            case .access:
                try tx.execute(
                    "UPDATE orderdesk.oauth_tokens SET revoked_at = now() WHERE token_hash = \(hash) AND revoked_at IS NULL")
                return nil
            case .refresh, .code:
                let grantID = try row.decode(UUID.self, "grant_id")
                guard try Self.revokeGrant(grantID, in: tx) else { return nil }
                return RevokedGrant(tenantID: owner.tenantID, grantID: grantID)
            }
        }
    }

    /// The tenant's grants, newest first; revoked ones only with `includeRevoked`.
    public func listGrants(tenantID: UUID, includeRevoked: Bool = false) async throws -> [OAuthGrant] {
        try await database.withTenantTransaction(tenantID) { tx in
            try tx.query(
                """
                SELECT \(unsafeSQL: Self.grantColumns) FROM orderdesk.oauth_grants
                WHERE tenant_id = \(tenantID) AND (\(includeRevoked) OR revoked_at IS NULL)
                ORDER BY created_at DESC, id
                """
            ).map(Self.grant)
        }
    }

    /// Revokes one of the tenant's grants and every token issued under it.
    /// - Returns: false when the tenant has no such grant or it was already revoked.
    public func revokeGrant(tenantID: UUID, grantID: UUID) async throws -> Bool {
        try await database.withTenantTransaction(tenantID) { tx in try Self.revokeGrant(grantID, in: tx) }
    }

    // MARK: Shared pieces

    /// Marks the grant and its live tokens revoked; true when the grant was live.
    @discardableResult
    static func revokeGrant(_ grantID: UUID, in tx: TenantTransaction) throws -> Bool {
        let revoked = try tx.execute(
            "UPDATE orderdesk.oauth_grants SET revoked_at = now() WHERE id = \(grantID) AND revoked_at IS NULL")
        try tx.execute(
            "UPDATE orderdesk.oauth_tokens SET revoked_at = now() WHERE grant_id = \(grantID) AND revoked_at IS NULL")
        return revoked == 1
    }

    struct Owner {
        let tenantID: UUID
        let kind: String
        let tenantActive: Bool
    }

    /// Which tenant a token belongs to, through the SECURITY DEFINER lookup.
    func lookupToken(_ hash: [UInt8]) async throws -> Owner? {
        try await database.statement(
            "SELECT tenant_id, kind, tenant_active FROM orderdesk.lookup_oauth_token(\(hash))", tenant: nil
        ).rows.first.map { row in
            Owner(
                tenantID: try row.decode(UUID.self, "tenant_id"), kind: try row.decode(String.self, "kind"),
                tenantActive: try row.decode(Bool.self, "tenant_active"))
        }
    }

    /// Inserts an access and a refresh token for a grant; `parent` is the refresh token they replace.
    func insertTokenPair(
        tenantID: UUID, grantID: UUID, access: String, refresh: String, parent: [UInt8]?, in tx: TenantTransaction
    ) throws {
        let accessSeconds = Self.seconds(accessTokenTTL)
        let refreshSeconds = Self.seconds(refreshTokenTTL)
        try tx.execute(
            """
            INSERT INTO orderdesk.oauth_tokens (token_hash, tenant_id, grant_id, kind, expires_at, parent_hash)
            VALUES (\(OAuthTokenFormat.hash(access)), \(tenantID), \(grantID), 'access',
                    now() + make_interval(secs => \(accessSeconds)), \(parent)),
                   (\(OAuthTokenFormat.hash(refresh)), \(tenantID), \(grantID), 'refresh',
                    now() + make_interval(secs => \(refreshSeconds)), \(parent))
            """)
        try tx.execute("UPDATE orderdesk.oauth_grants SET last_used_at = now() WHERE id = \(grantID)")
    }

    static let grantColumns =
        "id, tenant_id, client_id, client_name, member_email, scopes, store_ids, resource, created_at, last_used_at, revoked_at"

    @Sendable static func grant(_ row: PostgresRow) throws -> OAuthGrant {
        OAuthGrant(
            id: try row.decode(UUID.self, "id"), tenantID: try row.decode(UUID.self, "tenant_id"),
            clientID: try row.decode(String.self, "client_id"), clientName: try row.decode(String.self, "client_name"),
            memberEmail: try row.decode(String.self, "member_email"),
            scopes: OAuthScope.parse(try row.decode(PostgresTextArray.self, "scopes").elements),
            storeIDs: try row.decode(PostgresTextArray?.self, "store_ids").map { Set($0.elements) },
            resource: try row.decode(String.self, "resource"), createdAt: try row.decode(Date.self, "created_at"),
            lastUsedAt: try row.decode(Date?.self, "last_used_at"), revokedAt: try row.decode(Date?.self, "revoked_at"))
    }

    /// A value PostgreSQL's `char_length` counts as 1 to `limit` characters.
    static func isBounded(_ text: String, _ limit: Int) -> Bool {
        (1...limit).contains(text.unicodeScalars.count)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A CHECK the Swift side did not anticipate (a store id list, a control character) is a
    /// malformed request, not a server error.
    static func mappingCheckViolations<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError where error.sqlState == "23514" {
            throw OAuthError(.invalidRequest, .malformed)
        }
    }
}
