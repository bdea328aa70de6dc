import JSON

/// An order as the simulator stores it. The read-only totals (`product_total`, `order_total`, …)
/// are not stored: they are computed from items, discounts and the writable totals whenever the
/// order is rendered, so they can never disagree with the items.
struct Order: Sendable {
    var id: Int64
    var email = ""
    var shippingMethod = ""
    var shippingTotal = 0.0
    var handlingTotal = 0.0
    var taxTotal = 0.0
    var ccNumberMasked = ""
    var ccExp = ""
    var processorResponse = ""
    var paymentType = ""
    var paymentStatus = ""
    /// nil means "not set": rendered as `order_total - refund_total`.
    var processorBalance: Double?
    var refundTotal = 0.0
    var customerID = ""
    var ipAddress = ""
    var tagColor = ""
    var tagName = ""
    var sourceName = ""
    var sourceID = ""
    var fulfillmentName = ""
    var fulfillmentID = ""
    var folderID: Int64
    var dateAdded: String
    var dateUpdated: String
    var shipping = Address()
    var customer = Address()
    var returnAddress = ReturnAddress()
    var checkoutData: [String: JSONValue] = [:]
    var orderMetadata: [String: JSONValue] = [:]
    var discounts: [Discount] = []
    var notes: [OrderNote] = []
    var items: [OrderItem] = []
    var shipments: [Shipment] = []
    var history: [HistoryEntry] = []

    init(id: Int64, folderID: Int64, dateAdded: String) {
        self.id = id
        self.folderID = folderID
        self.dateAdded = dateAdded
        self.dateUpdated = dateAdded
    }

    /// The plain string fields a client may write, by JSON key.
    static var writableText: [(key: String, path: WritableKeyPath<Order, String>)] {
        [
            ("email", \.email), ("shipping_method", \.shippingMethod), ("cc_exp", \.ccExp),
            ("processor_response", \.processorResponse), ("payment_type", \.paymentType),
            ("payment_status", \.paymentStatus), ("customer_id", \.customerID), ("ip_address", \.ipAddress),
            ("tag_color", \.tagColor), ("tag_name", \.tagName), ("source_name", \.sourceName),
            ("source_id", \.sourceID), ("fulfillment_name", \.fulfillmentName), ("fulfillment_id", \.fulfillmentID),
        ]
    }

    /// The writable totals, by JSON key.
    static var writableTotals: [(key: String, path: WritableKeyPath<Order, Double>)] {
        [
            ("shipping_total", \.shippingTotal), ("handling_total", \.handlingTotal), ("tax_total", \.taxTotal),
            ("refund_total", \.refundTotal),
        ]
    }

    /// "A first and last name combination or a company name must be entered to be a valid order."
    var hasNameOrCompany: Bool { customer.hasNameOrCompany || shipping.hasNameOrCompany }
}

extension Order {
    var quantityTotal: Int64 { items.reduce(0) { $0 + $1.quantity } }
    var weightTotal: Double { Money.round(items.reduce(0) { $0 + $1.weight * Double($1.quantity) }, places: 4) }
    var productTotal: Double { Money.round(items.reduce(0) { $0 + $1.price * Double($1.quantity) }) }
    var discountTotal: Double { Money.round(discounts.reduce(0) { $0 + $1.amount }) }
    var orderTotal: Double {
        Money.round(productTotal + shippingTotal + handlingTotal + taxTotal - discountTotal)
    }
    var effectiveProcessorBalance: Double { processorBalance ?? Money.round(orderTotal - refundTotal) }
}
