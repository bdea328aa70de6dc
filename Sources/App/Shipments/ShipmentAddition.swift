import Foundation
import JSON
import OrderDesk

/// What happened to one shipment of a `shipments_add` call.
public struct ShipmentAddition: Sendable {
    public enum Status: String, Sendable, CaseIterable {
        /// OrderDesk stored the shipment.
        case added
        /// The order already has a shipment with this tracking number and carrier (or the same call
        /// named it twice); nothing new was stored. Not a failure.
        case duplicate
        /// OrderDesk has no such order.
        case notFound = "not_found"
        /// OrderDesk refused the shipment for another reason (`error` says which).
        case failed
    }

    public let orderID: String
    public let status: Status
    /// The stored shipment's id: the new one, or for a duplicate the existing one, when known.
    public let shipmentID: String?
    /// The stored shipment as OrderDesk returned it, when it did.
    public let shipment: JSONValue?
    /// Why a `notFound` or `failed` entry was not added.
    public let error: OrderDeskError?

    init(
        orderID: String, status: Status, shipmentID: String? = nil, shipment: JSONValue? = nil,
        error: OrderDeskError? = nil
    ) {
        self.orderID = orderID
        self.status = status
        self.shipmentID = shipmentID
        self.shipment = shipment
        self.error = error
    }
}

extension NewShipment {
    /// OrderDesk's equivalence for shipments ("Shipment Not Added"): the same tracking number and
    /// carrier, compared without regard to case. `n/a` (no tracking number) never matches.
    func isEquivalent(trackingNumber other: String?, carrierCode otherCarrier: String?) -> Bool {
        guard trackingNumber.lowercased() != "n/a", let other else { return false }
        return trackingNumber.caseInsensitiveCompare(other) == .orderedSame
            && (carrierCode ?? "").caseInsensitiveCompare(otherCarrier ?? "") == .orderedSame
    }
}
