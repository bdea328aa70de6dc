/// Why a grant, code or token operation was refused, as an RFC 6749 §5.2 error.
///
/// `code` is the `error` member of the token endpoint's JSON answer; `reason` says which check
/// failed, for logs, metrics and tests (the client gets only `code` and `description`). Neither
/// carries a code, a token or anything else secret.
///
/// Two errors are equal when their `code` and `reason` are: `revokedGrant` is a side effect to
/// report (an audit row), not part of what the error is.
public struct OAuthError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The RFC 6749 / RFC 8707 error codes this store produces.
    public enum Code: String, Sendable, CaseIterable {
        case invalidRequest = "invalid_request"
        case invalidClient = "invalid_client"
        case invalidGrant = "invalid_grant"
        case invalidTarget = "invalid_target"
    }

    public enum Reason: String, Sendable, CaseIterable {
        /// Not a code or token this server issued (or one already swept).
        case unknown
        /// Past its expiry.
        case expired
        /// A code or refresh token presented a second time; the grant is now revoked.
        case reused
        /// The token or its grant was revoked.
        case revoked
        /// The tenant is disabled.
        case tenantDisabled = "tenant_disabled"
        /// The signed-in address is no longer a member of the tenant.
        case notMember = "not_member"
        /// Issued to another client.
        case clientMismatch = "client_mismatch"
        /// Not the redirect URI the code was issued for.
        case redirectMismatch = "redirect_mismatch"
        /// The PKCE code_verifier is malformed or does not match the challenge.
        case verifierMismatch = "verifier_mismatch"
        /// Not the resource the code or grant is for.
        case resourceMismatch = "resource_mismatch"
        /// A parameter is malformed (a challenge, a redirect URI, a scope list, a client name).
        case malformed
    }

    public let code: Code
    public let reason: Reason
    /// The grant this refusal revoked (a reused code or refresh token revokes a live grant), for
    /// the caller's audit row; nil when nothing was revoked now.
    public let revokedGrant: RevokedGrant?

    public init(_ code: Code, _ reason: Reason, revokedGrant: RevokedGrant? = nil) {
        self.code = code
        self.reason = reason
        self.revokedGrant = revokedGrant
    }

    static func grant(_ reason: Reason) -> OAuthError { OAuthError(.invalidGrant, reason) }

    public static func == (lhs: OAuthError, rhs: OAuthError) -> Bool {
        lhs.code == rhs.code && lhs.reason == rhs.reason
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(reason)
    }

    /// The `error_description`: what went wrong and what to do next.
    public var description: String {
        switch reason {
        case .unknown: return "The code or token is not valid. Sign in again."
        case .expired: return "The code or token has expired. Sign in again."
        case .reused:
            return "The code or refresh token was already used, so this authorization has been revoked. Sign in again."
        case .revoked: return "This authorization has been revoked. Sign in again."
        case .tenantDisabled: return "The account is disabled. Contact the server operator."
        case .notMember: return "This address is no longer a member of the tenant. Contact the tenant's administrator."
        case .clientMismatch: return "The code or token was issued to another client."
        case .redirectMismatch: return "redirect_uri does not match the authorization request."
        case .verifierMismatch: return "code_verifier does not match the code_challenge of the authorization request."
        case .resourceMismatch: return "resource does not match the one this authorization is for."
        case .malformed: return "A request parameter is missing or malformed."
        }
    }
}
