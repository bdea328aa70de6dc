import JSON

/// A line of an order (`order_items[]`).
public struct OrderItem: Sendable, Hashable, LenientFields {
    public let fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) { self.fields = fields }

    /// OrderDesk's item id (a string), the key `OrderMerge` matches item changes by.
    public var id: String? { string("id") }
    public var name: String? { string("name") }
    /// The SKU.
    public var code: String? { string("code") }
    public var price: Double? { number("price") }
    public var quantity: Int64? { integer("quantity") }
    public var weight: Double? { number("weight") }
    /// `ship`, `noship`, `download` or `future`.
    public var deliveryType: String? { string("delivery_type") }
    public var categoryCode: String? { string("category_code") }
    public var fulfillmentMethod: String? { string("fulfillment_method") }
    /// Option name → value (`"Size": "Large"`); OrderDesk sends `[]` when empty.
    public var variationList: [String: JSONValue] { map("variation_list") }
    public var metadata: [String: JSONValue] { map("metadata") }
}
