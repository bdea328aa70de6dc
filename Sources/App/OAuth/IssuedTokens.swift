import Foundation

/// What a successful token request answers (RFC 6749 §5.1). The two tokens exist in plaintext only
/// here; the database holds their SHA-256.
public struct IssuedTokens: Sendable {
    /// `odat_…`, the Bearer credential for `/mcp`.
    public let accessToken: String
    /// `odrt_…`, single use: the next refresh answers a new one.
    public let refreshToken: String
    /// The access token's lifetime (`expires_in`).
    public let expiresIn: Duration
    /// The grant's scopes (`scope`).
    public let scopes: Set<OAuthScope>
    public let grantID: UUID
    public let tenantID: UUID
}
