import JSON

/// What happened to one order of a move, in the words an agent branches on.
public struct OrderMoveResult: Sendable, Hashable {
    public enum Outcome: String, Sendable {
        case moved
        /// OrderDesk has no order with this id in the store (or the id cannot be an OrderDesk id).
        case notFound = "not_found"
        /// OrderDesk answered something else for this order, or nothing at all.
        case upstreamError = "upstream_error"
    }

    public let orderID: String
    public let outcome: Outcome
    /// OrderDesk's own words ("Order Moved to Prepared Folder", "Order Not Found"), when it gave any.
    public let message: String?
    /// The folder the order was in before, for a moved order.
    public let originalFolderID: Int64?

    public var json: JSONValue {
        var object: [String: JSONValue] = ["order_id": .string(orderID), "result": .string(outcome.rawValue)]
        if let message { object["message"] = .string(message) }
        if let originalFolderID { object["original_folder_id"] = .int(originalFolderID) }
        return .object(object)
    }
}
