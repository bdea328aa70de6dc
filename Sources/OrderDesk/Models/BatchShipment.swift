/// One entry of `POST /batch-shipments`: a shipment and the order (internal OrderDesk id) it belongs to.
public struct BatchShipment: Sendable, Hashable {
    public var orderID: String
    public var shipment: NewShipment

    public init(orderID: String, shipment: NewShipment) {
        self.orderID = orderID
        self.shipment = shipment
    }
}

/// OrderDesk's answer for one entry of a batch, aligned with the request. The batch answers 200
/// even when entries fail; an entry refused because an equivalent shipment exists says
/// "Shipment Not Added", like the single call.
public struct BatchShipmentResult: Sendable, Hashable {
    /// `status: "success"` for this entry.
    public let added: Bool
    /// OrderDesk's text for this entry, control characters removed and length-capped.
    public let message: String?
    /// The new shipment's id, when OrderDesk names it.
    public let shipmentID: String?
}

extension BatchShipmentResult {
    /// For an entry that was not added: OrderDesk's refusal as an error (`validation`).
    public var refusal: OrderDeskError? {
        added ? nil : OrderDeskError.shipmentNotAdded(message)
    }
}

extension OrderDeskError {
    /// A shipment OrderDesk refused, with its message ("Shipment Not Added" when an equivalent
    /// shipment exists).
    public static func shipmentNotAdded(_ upstreamMessage: String?) -> OrderDeskError {
        OrderDeskError(.validation, "OrderDesk refused the shipment: \(upstreamMessage ?? "Shipment Not Added").")
    }
}
