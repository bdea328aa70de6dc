import Foundation

/// A live access token, as `GrantStore.verifyAccessToken` found it. Checking `resource` against the
/// server's own resource URL (the audience) is the caller's job.
public struct VerifiedAccessToken: Sendable, Hashable {
    public let tenantID: UUID
    public let grantID: UUID
    public let scopes: Set<OAuthScope>
    /// OrderDesk store ids the token may select; nil means every store of the tenant.
    public let storeIDs: Set<String>?
    public let resource: String
    public let expiresAt: Date
}
