import JSON

/// A shipment of an order. OrderDesk sends every shipment field as a string (`"weight": "3.55"`).
public struct Shipment: Sendable, Hashable, LenientFields {
    public let fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) { self.fields = fields }

    public var id: String? { string("id") }
    public var orderID: String? { string("order_id") }
    public var trackingNumber: String? { string("tracking_number") }
    /// `USPS`, `UPS`, `FedEx`, …
    public var carrierCode: String? { string("carrier_code") }
    /// The service name (`Ground`, `Priority Mail`).
    public var shipmentMethod: String? { string("shipment_method") }
    public var weight: Double? { number("weight") }
    public var cost: Double? { number("cost") }
    public var status: String? { string("status") }
    public var trackingURL: String? { string("tracking_url") }
    /// `YYYY-MM-DD`.
    public var dateShipped: String? { string("date_shipped") }
    public var dateAdded: String? { string("date_added") }
}
