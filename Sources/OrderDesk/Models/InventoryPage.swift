/// One page of the inventory list.
public struct InventoryPage: Sendable, Hashable {
    /// Items matching, over all pages (OrderDesk sends this one as a string).
    public let totalRecords: Int
    public let recordsReturned: Int
    public let items: [InventoryItem]
}
