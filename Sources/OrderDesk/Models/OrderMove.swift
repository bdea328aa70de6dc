/// Where `moveOrders` puts orders: a folder by id, or by its exact name.
public enum FolderReference: Sendable, Hashable {
    case id(Int64)
    case name(String)
}

/// The outcome of moving one order.
public struct OrderMove: Sendable, Hashable {
    public let orderID: String?
    /// "Order Moved to Prepared Folder".
    public let message: String?
    public let originalFolderID: Int64?
}
