import JSON

/// A product in the store's inventory. Unlike orders, its `id` is an integer.
public struct InventoryItem: Sendable, Hashable, LenientFields {
    public let fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) { self.fields = fields }

    public var json: JSONValue { .object(fields) }

    public var id: Int64? { integer("id") }
    public var name: String? { string("name") }
    /// The unique SKU.
    public var code: String? { string("code") }
    public var price: Double? { number("price") }
    public var cost: Double? { number("cost") }
    public var weight: Double? { number("weight") }
    /// Units available.
    public var stock: Int64? { integer("stock") }
    /// Warehouse or fulfillment method.
    public var location: String? { string("location") }
    /// The system that last changed the item.
    public var updateSource: String? { string("update_source") }
    /// Nil when OrderDesk sends `null` (unset).
    public var manufacturerSKU: String? { string("manufacturer_sku") }
    public var metadata: [String: JSONValue] { map("metadata") }
    public var variationList: [String: JSONValue] { map("variation_list") }
    public var dateAdded: String? { string("date_added") }
    public var dateUpdated: String? { string("date_updated") }
}
