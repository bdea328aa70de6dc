/// One page of an order search.
public struct OrderPage: Sendable, Hashable {
    /// Orders matching the filters, over all pages.
    public let totalRecords: Int
    /// Orders on this page (`orders.count`).
    public let recordsReturned: Int
    public let offset: Int
    public let limit: Int
    public let orders: [Order]

    /// Whether orders beyond this page match; the next page starts at `offset + recordsReturned`.
    public var hasMore: Bool { recordsReturned > 0 && offset + recordsReturned < totalRecords }
}
