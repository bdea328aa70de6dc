import Cryptography
import JSON
import OrderDesk

/// The cache key of an inventory search. Inventory pages share the `order_list` scope of
/// `cache_entries` (no schema change), under keys starting with `inventory-list`, which no order
/// list key (`list:…`, `list-sha256:…`) can start with; so every invalidation of the store's lists
/// (an order write, a stock update) drops them too.
enum InventoryListKey {
    static func key(for query: InventoryQuery) -> String {
        let canonical = parameters(of: query).encodedString()
        let plain = "inventory-list:" + canonical
        if plain.unicodeScalars.count <= OrderListKey.maximumLength { return plain }
        return "inventory-list-sha256:" + SHA256.hexDigest(canonical)
    }

    /// Every property of `query`, set ones only, with OrderDesk's parameter names.
    static func parameters(of query: InventoryQuery) -> JSONValue {
        var parameters: [String: JSONValue] = [:]
        if let codes = query.codes { parameters["code"] = .array(codes.map(JSONValue.string)) }
        if let search = query.search { parameters["search"] = .string(search) }
        if let limit = query.limit { parameters["limit"] = .int(Int64(limit)) }
        if let offset = query.offset { parameters["offset"] = .int(Int64(offset)) }
        return .object(parameters)
    }
}
