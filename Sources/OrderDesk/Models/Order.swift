import JSON

/// An OrderDesk order: the JSON object exactly as OrderDesk sent it, with typed accessors.
///
/// Every field is kept, including ones this client does not know, because OrderDesk's PUT replaces
/// the whole order and blanks whatever is left out: a changed order is sent back as this object
/// (see `OrderMerge`), so nothing is lost. The accessors are lenient about OrderDesk's PHP habits
/// (numbers as strings, `[]` for an empty map) and return nil for a missing or unreadable field.
public struct Order: Sendable, Hashable, LenientFields {
    public let fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) {
        self.fields = fields
    }

    /// Nil unless `json` is an object.
    public init?(json: JSONValue) {
        guard case .object(let fields) = json else { return nil }
        self.fields = fields
    }

    public var json: JSONValue { .object(fields) }

    public subscript(field: String) -> JSONValue? { fields[field] }

    /// OrderDesk's internal id (a string such as `"925086"`).
    public var id: String? { string("id") }
    public var email: String? { string("email") }
    public var sourceID: String? { string("source_id") }
    public var sourceName: String? { string("source_name") }
    public var customerID: String? { string("customer_id") }
    public var folderID: Int64? { integer("folder_id") }
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    public var dateAdded: String? { string("date_added") }
    /// `YYYY-MM-DD HH:MM:SS`, UTC. Changes on every update: the order's version for optimistic concurrency.
    public var dateUpdated: String? { string("date_updated") }
    public var shippingMethod: String? { string("shipping_method") }
    public var paymentStatus: String? { string("payment_status") }
    public var paymentType: String? { string("payment_type") }
    public var quantityTotal: Int64? { integer("quantity_total") }
    public var productTotal: Double? { number("product_total") }
    public var shippingTotal: Double? { number("shipping_total") }
    public var handlingTotal: Double? { number("handling_total") }
    public var taxTotal: Double? { number("tax_total") }
    public var discountTotal: Double? { number("discount_total") }
    public var orderTotal: Double? { number("order_total") }

    public var shipping: Address? { fields["shipping"]?.lenientObject.map(Address.init(fields:)) }
    public var customer: Address? { fields["customer"]?.lenientObject.map(Address.init(fields:)) }
    /// Editable extra details shown to the merchant (string → string in practice).
    public var checkoutData: [String: JSONValue] { map("checkout_data") }
    /// Hidden extra details.
    public var orderMetadata: [String: JSONValue] { map("order_metadata") }

    public var items: [OrderItem] { objects("order_items").map(OrderItem.init(fields:)) }
    public var shipments: [Shipment] { objects("order_shipments").map(Shipment.init(fields:)) }
    public var notes: [OrderNote] { objects("order_notes").map(OrderNote.init(fields:)) }
    /// Present only when requested (`OrderQuery.includeHistory`) or after adding a history entry.
    public var history: [OrderHistoryEntry] { objects("order_history").map(OrderHistoryEntry.init(fields:)) }
}
