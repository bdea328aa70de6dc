import JSON

/// A shipment to add to an order. OrderDesk rejects an equivalent shipment (same carrier and
/// tracking number) with "Shipment Not Added", which surfaces as a `validation` error.
public struct NewShipment: Sendable, Hashable {
    /// Required; `n/a` when there is none.
    public var trackingNumber: String
    public var carrierCode: String?
    public var shipmentMethod: String?
    public var weight: Double?
    public var cost: Double?
    public var status: String?
    /// Derived by OrderDesk from carrier and number when omitted.
    public var trackingURL: String?
    /// `YYYY-MM-DD`; OrderDesk uses today when omitted.
    public var dateShipped: String?
    /// Any other shipment field OrderDesk accepts (e.g. `order_items` for a partial shipment).
    public var additionalFields: [String: JSONValue]

    public init(
        trackingNumber: String, carrierCode: String? = nil, shipmentMethod: String? = nil, weight: Double? = nil,
        cost: Double? = nil, status: String? = nil, trackingURL: String? = nil, dateShipped: String? = nil,
        additionalFields: [String: JSONValue] = [:]
    ) {
        self.trackingNumber = trackingNumber
        self.carrierCode = carrierCode
        self.shipmentMethod = shipmentMethod
        self.weight = weight
        self.cost = cost
        self.status = status
        self.trackingURL = trackingURL
        self.dateShipped = dateShipped
        self.additionalFields = additionalFields
    }

    var json: JSONValue {
        var fields = additionalFields
        fields["tracking_number"] = .string(trackingNumber)
        if let carrierCode { fields["carrier_code"] = .string(carrierCode) }
        if let shipmentMethod { fields["shipment_method"] = .string(shipmentMethod) }
        if let weight { fields["weight"] = .double(weight) }
        if let cost { fields["cost"] = .double(cost) }
        if let status { fields["status"] = .string(status) }
        if let trackingURL { fields["tracking_url"] = .string(trackingURL) }
        if let dateShipped { fields["date_shipped"] = .string(dateShipped) }
        return .object(fields)
    }
}
