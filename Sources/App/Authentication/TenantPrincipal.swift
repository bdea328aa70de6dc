import Foundation

/// Who is making a request: the tenant, and the master key it authenticated with (its scopes and
/// the stores it is limited to).
///
/// Carries no secret: `keyPrefix` is the first 8 characters of the key (`odmk_` + 3), which is what
/// audit rows record as the `actor`.
public struct TenantPrincipal: Sendable, Hashable {
    public let tenantID: UUID
    public let keyID: UUID
    /// First 8 characters of the master key; safe to log and to audit as `actor`.
    public let keyPrefix: String
    public let scopes: Set<KeyScope>
    /// The OrderDesk store ids (`RegisteredStore.storeID`) the key may select; nil = every store of
    /// the tenant (`master_key_metadata.store_ids`).
    public let storeIDs: Set<String>?

    public init(tenantID: UUID, keyID: UUID, keyPrefix: String, scopes: Set<KeyScope>, storeIDs: Set<String>? = nil) {
        self.tenantID = tenantID
        self.keyID = keyID
        self.keyPrefix = keyPrefix
        self.scopes = scopes
        self.storeIDs = storeIDs
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
