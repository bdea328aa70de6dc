import JSON

extension StoreAPI {
    /// The order's shipments (`GET /orders/{id}/shipments`).
    public func listShipments(orderID: String) async throws -> [Shipment] {
        try Self.requireID(orderID, "The order id")
        let subject = "the shipments of order \(orderID)"
        let response = try await send(
            UpstreamRequest(method: .get, path: ["orders", orderID, "shipments"], subject: subject))
        return try list("shipments", of: response, about: subject).map(Shipment.init(fields:))
    }

    /// One shipment (`GET /orders/{id}/shipments/{shipment_id}`).
    public func getShipment(orderID: String, shipmentID: String) async throws -> Shipment {
        try Self.requireID(orderID, "The order id")
        try Self.requireID(shipmentID, "The shipment id")
        let subject = "shipment \(shipmentID) of order \(orderID)"
        let response = try await send(
            UpstreamRequest(method: .get, path: ["orders", orderID, "shipments", shipmentID], subject: subject))
        return Shipment(fields: try member("shipment", of: response, about: subject))
    }

    /// Adds a shipment (`POST /orders/{id}/shipments`). Returns the stored shipment when OrderDesk's
    /// answer includes it (its documentation shows only a message), else nil. An equivalent existing
    /// shipment makes OrderDesk answer "Shipment Not Added" (`validation`).
    public func addShipment(orderID: String, _ shipment: NewShipment) async throws -> Shipment? {
        try Self.requireID(orderID, "The order id")
        guard !shipment.trackingNumber.isEmpty else {
            throw OrderDeskError.invalidRequest("A shipment needs a tracking number (n/a when there is none).")
        }
        let response = try await send(
            UpstreamRequest(
                method: .post, path: ["orders", orderID, "shipments"], body: shipment.json,
                subject: "the new shipment of order \(orderID)"))
        return response["shipment"]?.objectValue.map(Shipment.init(fields:))
    }

    /// Deletes a shipment (`DELETE /orders/{id}/shipments/{shipment_id}`).
    public func deleteShipment(orderID: String, shipmentID: String) async throws {
        try Self.requireID(orderID, "The order id")
        try Self.requireID(shipmentID, "The shipment id")
        _ = try await send(
            UpstreamRequest(
                method: .delete, path: ["orders", orderID, "shipments", shipmentID],
                subject: "shipment \(shipmentID) of order \(orderID)"))
    }
}
