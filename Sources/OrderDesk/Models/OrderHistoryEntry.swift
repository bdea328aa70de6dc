import JSON

/// An entry of an order's append-only history (`order_history[]`).
public struct OrderHistoryEntry: Sendable, Hashable, LenientFields {
    public let fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) { self.fields = fields }

    public var note: String? { string("note") }
    public var sourceName: String? { string("source_name") }
    public var dateAdded: String? { string("date_added") }
}
