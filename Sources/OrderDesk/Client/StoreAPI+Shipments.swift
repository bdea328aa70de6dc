import Foundation
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

extension StoreAPI {
    /// Adds several shipments, possibly to several orders, in one call (`POST /batch-shipments`, a
    /// bare JSON array). Returns one result per entry, in request order. OrderDesk answers 200 even
    /// when some entries fail, so per-entry failures come back as results, not as a thrown error; an
    /// answer whose `results` do not line up with the request is `badResponse` (some entries may
    /// nevertheless have been added).
    public func addShipments(_ batch: [BatchShipment]) async throws -> [BatchShipmentResult] {
        guard !batch.isEmpty else { throw OrderDeskError.invalidRequest("Name at least one shipment to add.") }
        for entry in batch {
            try Self.requireID(entry.orderID, "Every order id")
            guard !entry.shipment.trackingNumber.isEmpty else {
                throw OrderDeskError.invalidRequest("A shipment needs a tracking number (n/a when there is none).")
            }
        }
        let body = JSONValue.array(
            batch.map { entry in
                var fields = entry.shipment.json.objectValue ?? [:]
                // OrderDesk's examples send numeric ids as numbers.
                fields["order_id"] = Int64(entry.orderID).map(JSONValue.int) ?? .string(entry.orderID)
                return .object(fields)
            })
        let subject = "the batch of \(batch.count) shipments"
        let response = try await send(UpstreamRequest(method: .post, path: ["batch-shipments"], body: body, subject: subject))
        let results = try list("results", of: response, about: subject)
        guard results.count == batch.count else {
            throw OrderDeskError(
                .badResponse,
                "OrderDesk's answer about \(subject) has \(results.count) results; some shipments may have been added, "
                    + "so list the orders' shipments before sending them again.")
        }
        return results.map { result in
            BatchShipmentResult(
                added: result["status"]?.stringValue == "success",
                message: result["message"]?.lenientString.flatMap(UpstreamRequest.sanitized).map(redacted),
                shipmentID: result["shipment_id"]?.lenientString ?? result["shipment"]?["id"]?.lenientString)
        }
    }

    /// `text` without the store's API key, for upstream texts passed on outside an `OrderDeskError`.
    private func redacted(_ text: String) -> String {
        credentials.apiKey.isEmpty ? text : text.replacingOccurrences(of: credentials.apiKey, with: "[redacted]")
    }
}
