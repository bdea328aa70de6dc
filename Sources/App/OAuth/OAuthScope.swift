/// What an OAuth grant lets its tokens do, spelled as the protocol's `scope` strings and stored in
/// `oauth_grants.scopes`.
///
/// The resource server maps them onto what a master key may do: `orders:read` is the read scope,
/// `orders:write` the write scope (which implies read), `stores:manage` the store tools.
public enum OAuthScope: String, Sendable, CaseIterable, Hashable {
    case ordersRead = "orders:read"
    case ordersWrite = "orders:write"
    case storesManage = "stores:manage"
}

extension OAuthScope {
    /// Scopes in a fixed order, as stored and as answered in a token response's `scope`.
    public static func sortedNames(_ scopes: Set<OAuthScope>) -> [String] {
        OAuthScope.allCases.filter(scopes.contains).map(\.rawValue)
    }

    /// The space-separated `scope` value of a token response (RFC 6749 §3.3).
    public static func scopeString(_ scopes: Set<OAuthScope>) -> String {
        sortedNames(scopes).joined(separator: " ")
    }

    /// Parses the stored `text[]`; unknown names (the CHECK allows none) are ignored rather than granted.
    static func parse(_ names: [String]) -> Set<OAuthScope> {
        Set(names.compactMap(OAuthScope.init(rawValue:)))
    }
}
