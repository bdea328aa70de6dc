/// Filters and paging of the inventory list (`GET /inventory-items`). OrderDesk documents no
/// parameters for it; these are the ones clients use in practice.
public struct InventoryQuery: Sendable, Hashable {
    /// Only items with these SKUs.
    public var codes: [String]?
    /// Free-text search.
    public var search: String?
    /// 1…500.
    public var limit: Int?
    public var offset: Int?

    public init(codes: [String]? = nil, search: String? = nil, limit: Int? = nil, offset: Int? = nil) {
        self.codes = codes
        self.search = search
        self.limit = limit
        self.offset = offset
    }

    func queryItems() throws -> [UpstreamRequest.QueryItem] {
        if let limit, !(1...OrderQuery.maximumLimit).contains(limit) {
            throw OrderDeskError.invalidRequest("limit must be between 1 and \(OrderQuery.maximumLimit).")
        }
        if let offset, offset < 0 { throw OrderDeskError.invalidRequest("offset must not be negative.") }
        let pairs: [(String, String?)] = [
            ("code", codes.map { $0.joined(separator: ",") }), ("search", search),
            ("limit", limit.map(String.init)), ("offset", offset.map(String.init)),
        ]
        return pairs.compactMap { name, value in value.map { UpstreamRequest.QueryItem(name: name, value: $0) } }
    }
}
