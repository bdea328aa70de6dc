/// What a master key may do. A `write` key may also read: scopes are stored as given
/// (`{read,write}` for a full key, `{read}` for a read-only one) and checked with
/// `TenantPrincipal.allows(_:)`.
public enum KeyScope: String, Sendable, CaseIterable, Hashable {
    /// Tools that only read (orders_get, orders_list, stores_list, …).
    case read
    /// Tools that change something, here or at OrderDesk (orders_update, stores_register, …).
    case write
}

extension KeyScope {
    /// Scopes in a fixed order, as stored in `master_key_metadata.scopes`.
    static func sortedNames(_ scopes: Set<KeyScope>) -> [String] {
        KeyScope.allCases.filter(scopes.contains).map(\.rawValue)
    }

    /// Parses the stored `text[]`; unknown names (none exist today) are ignored rather than granted.
    static func parse(_ names: [String]) -> Set<KeyScope> {
        Set(names.compactMap(KeyScope.init(rawValue:)))
    }
}
