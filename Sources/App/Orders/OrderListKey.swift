import Cryptography
import JSON
import OrderDesk

/// The cache key of an order search: a canonical encoding of every parameter of the `OrderQuery`.
///
/// The parameters become one JSON object with OrderDesk's parameter names, sorted keys and no
/// whitespace; a parameter left unset is absent. Different queries therefore never share a key, and
/// equal queries always do. A key longer than `cache_entries.key` allows (1000 characters) is
/// replaced by the SHA-256 of the encoding under a prefix no plain key can start with.
enum OrderListKey {
    /// `cache_entries.key`'s limit, in characters (PostgreSQL's `char_length`: code points).
    static let maximumLength = 1000

    static func key(for query: OrderQuery) -> String {
        let canonical = parameters(of: query).encodedString()
        let plain = "list:" + canonical
        if plain.unicodeScalars.count <= maximumLength { return plain }
        return "list-sha256:" + SHA256.hexDigest(canonical)
    }

    /// Every property of `query`, set ones only. (A test checks that every stored property of
    /// `OrderQuery` is covered, so a new filter cannot silently share cache entries.)
    static func parameters(of query: OrderQuery) -> JSONValue {
        var parameters: [String: JSONValue] = [:]
        let texts: [(String, String?)] = [
            ("folder_name", query.folderName), ("source_id", query.sourceID), ("source_name", query.sourceName),
            ("search_start_date", query.searchStartDate), ("search_end_date", query.searchEndDate),
            ("search_start_date_local", query.searchStartDateLocal), ("search_end_date_local", query.searchEndDateLocal),
            ("modified_start_date", query.modifiedStartDate), ("modified_end_date", query.modifiedEndDate),
            ("email", query.email), ("customer_id", query.customerID), ("customer_first_name", query.customerFirstName),
            ("customer_last_name", query.customerLastName), ("customer_company", query.customerCompany),
            ("customer_address1", query.customerAddress1), ("customer_phone", query.customerPhone),
            ("shipping_first_name", query.shippingFirstName), ("shipping_last_name", query.shippingLastName),
            ("shipping_company", query.shippingCompany), ("shipping_address1", query.shippingAddress1),
            ("shipping_phone", query.shippingPhone), ("order_by", query.orderBy), ("order", query.order?.rawValue),
        ]
        for case (let name, let value?) in texts { parameters[name] = .string(value) }
        if let folderIDs = query.folderIDs { parameters["folder_id"] = .array(folderIDs.map(JSONValue.int)) }
        if query.includeHistory { parameters["get_order_history"] = true }
        if let limit = query.limit { parameters["limit"] = .int(Int64(limit)) }
        if let offset = query.offset { parameters["offset"] = .int(Int64(offset)) }
        return .object(parameters)
    }
}
