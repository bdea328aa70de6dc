import JSON

/// A merchant note on an order (`order_notes[]`). Notes are only ever appended.
public struct OrderNote: Sendable, Hashable, LenientFields {
    public let fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) { self.fields = fields }

    public var content: String? { string("content") }
    public var username: String? { string("username") }
    public var dateAdded: String? { string("date_added") }
}
