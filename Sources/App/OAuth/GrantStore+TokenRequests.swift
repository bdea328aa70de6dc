import Foundation
import Postgres

/// The two grant types of the token endpoint: `authorization_code` and `refresh_token`.
extension GrantStore {
    /// What a token-request transaction decided. A refusal is returned, not thrown, so that what it
    /// wrote (a burned code, a grant revoked for reuse) is committed before the error reaches the client.
    private enum Outcome: Sendable {
        case issued(grantID: UUID, scopes: Set<OAuthScope>)
        case refused(OAuthError)
    }

    /// Exchanges an authorization code (grant type `authorization_code`) for an access and a
    /// refresh token.
    ///
    /// The first attempt burns the code whatever its result. Checks, in order: the code is known
    /// and unused (a reused code revokes its grant), unexpired, its grant live, issued to
    /// `clientID`, for exactly `redirectURI`, `codeVerifier` matches the S256 challenge, and
    /// `resource` (when given; RFC 8707 makes it optional) is the code's.
    ///
    /// - Throws: `OAuthError` `invalid_grant` (any reason but a resource mismatch),
    ///   `invalid_target` for another resource.
    public func exchangeCode(
        _ code: String, clientID: String, redirectURI: String, codeVerifier: String, resource: String?
    ) async throws -> IssuedTokens {
        guard OAuthTokenFormat.code.matches(code) else { throw OAuthError.grant(.unknown) }
        let hash = OAuthTokenFormat.hash(code)
        guard
            let owner = try await database.statement(
                "SELECT tenant_id, tenant_active FROM orderdesk.lookup_oauth_code(\(hash))", tenant: nil
            ).rows.first
        else { throw OAuthError.grant(.unknown) }
        let tenantID = try owner.decode(UUID.self, "tenant_id")
        guard try owner.decode(Bool.self, "tenant_active") else { throw OAuthError.grant(.tenantDisabled) }

        let access = OAuthTokenFormat.access.generate()
        let refresh = OAuthTokenFormat.refresh.generate()
        let outcome = try await database.withTenantTransaction(tenantID) { tx -> Outcome in
            // Burn it first: a concurrent second attempt waits for this row and then finds it used.
            guard
                let burned = try tx.query(
                    """
                    UPDATE orderdesk.oauth_codes AS c SET used_at = now()
                    FROM orderdesk.oauth_grants AS g
                    WHERE c.code_hash = \(hash) AND c.used_at IS NULL
                      AND g.tenant_id = c.tenant_id AND g.id = c.grant_id
                    RETURNING c.grant_id, c.redirect_uri, c.code_challenge, c.resource, c.expires_at > now() AS live,
                              g.client_id, g.scopes, g.revoked_at IS NOT NULL AS grant_revoked
                    """
                ).first
            else {
                let used = try tx.query("SELECT grant_id FROM orderdesk.oauth_codes WHERE code_hash = \(hash)").first
                guard let used else { return .refused(.grant(.unknown)) }
                let grantID = try used.decode(UUID.self, "grant_id")
                let revoked = try Self.revokeGrant(grantID, in: tx)
                return .refused(Self.reuse(revoked ? RevokedGrant(tenantID: tenantID, grantID: grantID) : nil))
            }
            let grantID = try burned.decode(UUID.self, "grant_id")
            guard try burned.decode(Bool.self, "live") else { return .refused(.grant(.expired)) }
            guard try !burned.decode(Bool.self, "grant_revoked") else { return .refused(.grant(.revoked)) }
            guard try burned.decode(String.self, "client_id") == clientID else {
                return .refused(.grant(.clientMismatch))
            }
            guard try burned.decode(String.self, "redirect_uri") == redirectURI else {
                return .refused(.grant(.redirectMismatch))
            }
            guard PKCE.verify(verifier: codeVerifier, challenge: try burned.decode(String.self, "code_challenge")) else {
                return .refused(.grant(.verifierMismatch))
            }
            if let resource, try burned.decode(String.self, "resource") != resource {
                return .refused(OAuthError(.invalidTarget, .resourceMismatch))
            }
            try self.insertTokenPair(
                tenantID: tenantID, grantID: grantID, access: access, refresh: refresh, parent: nil, in: tx)
            let scopes = OAuthScope.parse(try burned.decode(PostgresTextArray.self, "scopes").elements)
            return .issued(grantID: grantID, scopes: scopes)
        }
        return try issued(outcome, tenantID: tenantID, access: access, refresh: refresh)
    }

    /// Refreshes (grant type `refresh_token`): a new access token and a new refresh token; the
    /// presented one is marked used.
    ///
    /// Checks, in order: the token is a known refresh token, not used before (a used one revokes
    /// the grant), not revoked (nor its grant), unexpired, issued to `clientID`, and `resource`
    /// (when given) is the grant's. A client or resource mismatch leaves the token usable.
    ///
    /// - Throws: `OAuthError` `invalid_grant`, or `invalid_target` for another resource.
    public func refresh(_ refreshToken: String, clientID: String, resource: String?) async throws -> IssuedTokens {
        guard OAuthTokenFormat.refresh.matches(refreshToken) else { throw OAuthError.grant(.unknown) }
        let hash = OAuthTokenFormat.hash(refreshToken)
        guard let owner = try await lookupToken(hash), owner.kind == "refresh" else {
            throw OAuthError.grant(.unknown)
        }
        guard owner.tenantActive else { throw OAuthError.grant(.tenantDisabled) }

        let tenantID = owner.tenantID
        let access = OAuthTokenFormat.access.generate()
        let refresh = OAuthTokenFormat.refresh.generate()
        let outcome = try await database.withTenantTransaction(tenantID) { tx -> Outcome in
            // FOR UPDATE serializes concurrent refreshes of this token: the second reads the row
            // again after the first commits, and finds it used.
            guard
                let row = try tx.query(
                    """
                    SELECT k.grant_id, k.used_at IS NOT NULL AS used,
                           (k.revoked_at IS NOT NULL OR g.revoked_at IS NOT NULL) AS revoked,
                           k.expires_at > now() AS live, g.client_id, g.resource, g.scopes
                    FROM orderdesk.oauth_tokens AS k
                    JOIN orderdesk.oauth_grants AS g ON g.tenant_id = k.tenant_id AND g.id = k.grant_id
                    WHERE k.token_hash = \(hash) AND k.kind = 'refresh'
                    FOR UPDATE OF k
                    """
                ).first
            else { return .refused(.grant(.unknown)) }
            let grantID = try row.decode(UUID.self, "grant_id")
            if try row.decode(Bool.self, "used") {
                let revoked = try Self.revokeGrant(grantID, in: tx)
                return .refused(Self.reuse(revoked ? RevokedGrant(tenantID: tenantID, grantID: grantID) : nil))
            }
            guard try !row.decode(Bool.self, "revoked") else { return .refused(.grant(.revoked)) }
            guard try row.decode(Bool.self, "live") else { return .refused(.grant(.expired)) }
            guard try row.decode(String.self, "client_id") == clientID else {
                return .refused(.grant(.clientMismatch))
            }
            if let resource, try row.decode(String.self, "resource") != resource {
                return .refused(OAuthError(.invalidTarget, .resourceMismatch))
            }
            try tx.execute("UPDATE orderdesk.oauth_tokens SET used_at = now() WHERE token_hash = \(hash)")
            try self.insertTokenPair(
                tenantID: tenantID, grantID: grantID, access: access, refresh: refresh, parent: hash, in: tx)
            let scopes = OAuthScope.parse(try row.decode(PostgresTextArray.self, "scopes").elements)
            return .issued(grantID: grantID, scopes: scopes)
        }
        return try issued(outcome, tenantID: tenantID, access: access, refresh: refresh)
    }

    /// `invalid_grant` for a reused code or refresh token, naming the grant when this reuse revoked it.
    private static func reuse(_ revoked: RevokedGrant?) -> OAuthError {
        OAuthError(.invalidGrant, .reused, revokedGrant: revoked)
    }

    private func issued(_ outcome: Outcome, tenantID: UUID, access: String, refresh: String) throws -> IssuedTokens {
        switch outcome {
        case .refused(let error):
            throw error
        case .issued(let grantID, let scopes):
            return IssuedTokens(
                accessToken: access, refreshToken: refresh, expiresIn: accessTokenTTL, scopes: scopes, grantID: grantID,
                tenantID: tenantID)
        }
    }
}
