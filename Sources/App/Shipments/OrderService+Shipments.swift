import Foundation
import JSON
import OrderDesk

/// Shipments of a store's orders. Every call takes its tokens from the store's upstream bucket and
/// runs in one of the tenant's upstream slots, like the order calls. Adding or deleting a shipment
/// changes the order (`order_shipments`, `date_updated`), so each touched order's cache entry and
/// every list of the store are invalidated on all replicas once OrderDesk was called, whatever it
/// answered. Shipment lists are not cached: they are read rarely, and right after a change.
extension OrderService {
    /// The largest batch `addShipments` accepts. OrderDesk documents no limit for
    /// `/batch-shipments`; 50 keeps one call's upstream work and answer small.
    public static let maximumShipmentBatch = 50

    /// The order's shipments (`GET /orders/{id}/shipments`), as OrderDesk returns them.
    public func listShipments(tenantID: UUID, store: RegisteredStore, orderID: String) async throws -> [JSONValue] {
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
        return try await upstreamSlots.withSlot(tenantID: tenantID) {
            try await api.listShipments(orderID: orderID).map { .object($0.fields) }
        }
    }

    /// Adds shipments (to one order or several; callers send at most `maximumShipmentBatch`) and
    /// returns one result per entry, in order.
    ///
    /// - A shipment equivalent to one the order already has (same tracking number and carrier) is
    ///   `duplicate`, not a failure; so is an entry equivalent to an earlier entry of the same call,
    ///   which is not sent at all.
    /// - One shipment is sent with `POST /orders/{id}/shipments`; several with one
    ///   `POST /batch-shipments`.
    /// - OrderDesk tells a duplicate only by its message ("Shipment Not Added"), so an entry it
    ///   refuses is classified by reading that order's shipments (one GET per order with refusals):
    ///   an equivalent one makes it `duplicate`, a missing order `notFound`, anything else `failed`.
    /// - A failure of the whole call (credentials, rate limit, outage, timeout) is thrown.
    public func addShipments(
        tenantID: UUID, store: RegisteredStore, _ entries: [BatchShipment]
    ) async throws -> [ShipmentAddition] {
        guard !entries.isEmpty else { return [] }
        // Entries repeating an earlier entry of this call: index → the earlier entry's index.
        var repeats: [Int: Int] = [:]
        for (index, entry) in entries.enumerated() {
            if let earlier = entries[..<index].indices.first(where: { earlier in
                repeats[earlier] == nil && entries[earlier].orderID == entry.orderID
                    && entry.shipment.isEquivalent(
                        trackingNumber: entries[earlier].shipment.trackingNumber,
                        carrierCode: entries[earlier].shipment.carrierCode)
            }) {
                repeats[index] = earlier
            }
        }
        let sent = entries.indices.filter { repeats[$0] == nil }
        let outcomes = try await send(tenantID: tenantID, store: store, sent.map { entries[$0] })
        var byIndex: [Int: ShipmentAddition] = [:]
        for (position, index) in sent.enumerated() { byIndex[index] = outcomes[position] }

        return entries.indices.map { index in
            if let result = byIndex[index] { return result }
            let first = byIndex[repeats[index] ?? index]
            // A repeat of an entry that was not added is not a duplicate of anything stored.
            guard let first, first.status == .added || first.status == .duplicate else {
                return first ?? ShipmentAddition(orderID: entries[index].orderID, status: .failed)
            }
            return ShipmentAddition(orderID: entries[index].orderID, status: .duplicate, shipmentID: first.shipmentID)
        }
    }

    /// Deletes one shipment of an order (`DELETE /orders/{id}/shipments/{shipment_id}`); an unknown
    /// order or shipment is `OrderDeskError(.notFound)`.
    public func deleteShipment(tenantID: UUID, store: RegisteredStore, orderID: String, shipmentID: String) async throws {
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
        // Without a slot nothing is sent, so only a DELETE that went out invalidates.
        try await upstreamSlots.withSlot(tenantID: tenantID) {
            do {
                try await api.deleteShipment(orderID: orderID, shipmentID: shipmentID)
            } catch {
                await self.invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
                throw error
            }
        }
        await invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
    }

    // MARK: Adding

    /// Sends distinct entries (single call or batch), invalidates, then classifies refusals.
    private func send(tenantID: UUID, store: RegisteredStore, _ entries: [BatchShipment]) async throws
        -> [ShipmentAddition]
    {
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
        let touched = Array(Set(entries.map(\.orderID))).sorted()
        // Without a slot nothing is sent, so only a POST that went out invalidates.
        let raw = try await upstreamSlots.withSlot(tenantID: tenantID) {
            do {
                return try await Self.post(entries, with: api)
            } catch {
                // The call may have added shipments even though it failed.
                await self.invalidate(tenantID: tenantID, storeID: store.id, orderIDs: touched)
                throw error
            }
        }
        await invalidate(tenantID: tenantID, storeID: store.id, orderIDs: touched)

        // Read the shipments of each order with a refused entry once, to tell duplicates apart.
        let refusedOrders = Array(
            Set(
                zip(entries, raw).compactMap { entry, result -> String? in
                    if case .failure = result { return entry.orderID }
                    return nil
                })
        ).sorted()
        var current: [String: Result<[Shipment], OrderDeskError>?] = [:]
        for orderID in refusedOrders {
            current[orderID] = await existingShipments(tenantID: tenantID, store: store, orderID: orderID)
        }
        return zip(entries, raw).map { entry, result in
            switch result {
            case .success(let added):
                return ShipmentAddition(
                    orderID: entry.orderID, status: .added, shipmentID: added.id, shipment: added.shipment)
            case .failure(let refusal):
                return Self.classify(entry, refusal: refusal, existing: current[entry.orderID] ?? nil)
            }
        }
    }

    /// One POST for one entry, the batch endpoint for several. Per-entry refusals are results; a
    /// failure of the whole call is thrown.
    private static func post(_ entries: [BatchShipment], with api: StoreAPI) async throws
        -> [Result<(id: String?, shipment: JSONValue?), OrderDeskError>]
    {
        if entries.count == 1, let entry = entries.first {
            do {
                let shipment = try await api.addShipment(orderID: entry.orderID, entry.shipment)
                return [.success((shipment?.id, shipment.map { .object($0.fields) }))]
            } catch let error as OrderDeskError where error.code == .validation || error.code == .notFound {
                return [.failure(error)]
            }
        }
        return try await api.addShipments(entries).map { result in
            result.added
                ? .success((result.shipmentID, nil))
                : .failure(result.refusal ?? OrderDeskError.shipmentNotAdded(nil))
        }
    }

    private static func classify(
        _ entry: BatchShipment, refusal: OrderDeskError, existing: Result<[Shipment], OrderDeskError>?
    ) -> ShipmentAddition {
        switch existing {
        case .success(let shipments):
            if let match = shipments.first(where: {
                entry.shipment.isEquivalent(trackingNumber: $0.trackingNumber, carrierCode: $0.carrierCode)
            }) {
                return ShipmentAddition(
                    orderID: entry.orderID, status: .duplicate, shipmentID: match.id, shipment: .object(match.fields))
            }
        case .failure(let error) where error.code == .notFound:
            return ShipmentAddition(orderID: entry.orderID, status: .notFound, error: error)
        default:
            break
        }
        let status: ShipmentAddition.Status = refusal.code == .notFound ? .notFound : .failed
        return ShipmentAddition(orderID: entry.orderID, status: status, error: refusal)
    }

    /// The order's shipments for classifying a refusal; a failure is returned (OrderDesk's) or
    /// dropped (nil), never thrown: the shipments were already sent, and their results must still
    /// reach the caller.
    private func existingShipments(
        tenantID: UUID, store: RegisteredStore, orderID: String
    ) async -> Result<[Shipment], OrderDeskError>? {
        do {
            let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
            return .success(
                try await upstreamSlots.withSlot(tenantID: tenantID) { try await api.listShipments(orderID: orderID) })
        } catch let error as OrderDeskError {
            return .failure(error)
        } catch {
            logger.warning("could not read an order's shipments to classify a refusal", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func invalidate(tenantID: UUID, storeID: UUID, orderIDs: [String]) async {
        for orderID in orderIDs { await invalidateAfterMutation(tenantID: tenantID, storeID: storeID, orderID: orderID) }
    }
}
