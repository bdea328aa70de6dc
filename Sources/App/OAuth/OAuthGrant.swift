import Foundation

/// One consent (`orderdesk.oauth_grants`): a tenant member let a client use some scopes, and maybe
/// only some stores, of the tenant, for one resource.
public struct OAuthGrant: Sendable, Hashable {
    public let id: UUID
    public let tenantID: UUID
    /// A DCR client id (`odc_…`) or a Client ID Metadata Document URL.
    public let clientID: String
    /// The client's name as the member saw it on the consent page.
    public let clientName: String
    /// The member who consented.
    public let memberEmail: String
    public let scopes: Set<OAuthScope>
    /// OrderDesk store ids the tokens may select; nil means every store of the tenant.
    public let storeIDs: Set<String>?
    /// The RFC 8707 resource (the server's `/mcp` URL) the tokens are for.
    public let resource: String
    public let createdAt: Date
    /// When tokens were last issued under it (code exchange or refresh).
    public let lastUsedAt: Date?
    /// Set once: the grant and all its tokens are dead.
    public let revokedAt: Date?
}

/// A grant that an operation of `GrantStore` revoked just now (it was live before): what an audit
/// row of the revocation names. Holds no code or token.
public struct RevokedGrant: Sendable, Hashable {
    public let tenantID: UUID
    public let grantID: UUID

    public init(tenantID: UUID, grantID: UUID) {
        self.tenantID = tenantID
        self.grantID = grantID
    }
}
