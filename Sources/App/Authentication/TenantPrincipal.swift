import Foundation

/// Who is making a request: the tenant, and the master key (or OAuth access token) it
/// authenticated with (its scopes and the stores it is limited to).
///
/// Carries no secret: `keyPrefix` is the first 8 characters of the key (`odmk_` + 3), or
/// `oauth:<grant id>` for an access token, which is what audit rows record as the `actor`.
public struct TenantPrincipal: Sendable, Hashable {
    /// What the caller presented.
    public enum Credential: Sendable, Hashable {
        /// A master key (`odmk_…`); `keyID` is its `master_key_metadata.id`.
        case masterKey
        /// An OAuth access token (`odat_…`) of a grant; `keyID` is the grant's id.
        /// `managesStores`: the grant has `stores:manage`.
        case accessToken(managesStores: Bool)
    }

    public let tenantID: UUID
    /// The master key's id, or the OAuth grant's id for an access token.
    public let keyID: UUID
    /// First 8 characters of the master key, or `oauth:<grant id>`; safe to log and to audit as `actor`.
    public let keyPrefix: String
    public let scopes: Set<KeyScope>
    /// The OrderDesk store ids (`RegisteredStore.storeID`) the key may select; nil = every store of
    /// the tenant (`master_key_metadata.store_ids`).
    public let storeIDs: Set<String>?
    public let credential: Credential

    public init(
        tenantID: UUID, keyID: UUID, keyPrefix: String, scopes: Set<KeyScope>, storeIDs: Set<String>? = nil,
        credential: Credential = .masterKey
    ) {
        self.tenantID = tenantID
        self.keyID = keyID
        self.keyPrefix = keyPrefix
        self.scopes = scopes
        self.storeIDs = storeIDs
        self.credential = credential
    }

    /// The caller of a live OAuth access token: `orders:read` is the read scope, `orders:write`
    /// the write scope, `stores:manage` the store tools; the grant's stores are its store limit.
    public init(accessToken token: VerifiedAccessToken) {
        var scopes: Set<KeyScope> = []
        if token.scopes.contains(.ordersRead) { scopes.insert(.read) }
        if token.scopes.contains(.ordersWrite) { scopes.insert(.write) }
        self.init(
            tenantID: token.tenantID, keyID: token.grantID, keyPrefix: "oauth:" + token.grantID.uuidString.lowercased(),
            scopes: scopes, storeIDs: token.storeIDs,
            credential: .accessToken(managesStores: token.scopes.contains(.storesManage)))
    }

    /// Whether the caller authenticated with an OAuth access token rather than a master key.
    public var isAccessToken: Bool {
        if case .accessToken = credential { return true }
        return false
    }

    /// Whether the caller may register and delete stores: a master key for all of the tenant's
    /// stores; an access token also needs `stores:manage`.
    public var mayManageStores: Bool {
        switch credential {
        case .masterKey: return !isStoreRestricted
        case .accessToken(let managesStores): return managesStores && !isStoreRestricted
        }
    }

    /// Whether the key is limited to some stores. Such a key cannot register or delete stores.
    public var isStoreRestricted: Bool { storeIDs != nil }

    /// Whether the key may select the store whose OrderDesk store id is `storeID`.
    public func allowsStore(_ storeID: String) -> Bool {
        storeIDs?.contains(storeID) ?? true
    }

    /// Whether the key may use tools of `scope`. Writing implies reading: a key that may change an
    /// order may also look at it.
    public func allows(_ scope: KeyScope) -> Bool {
        switch scope {
        case .read: return scopes.contains(.read) || scopes.contains(.write)
        case .write: return scopes.contains(.write)
        }
    }
}
