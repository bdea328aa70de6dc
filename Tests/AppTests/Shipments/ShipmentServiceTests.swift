import Foundation
import JSON
import OrderDesk
import TestSupport
import Testing

@testable import App

/// Shipments through `OrderService` against the real simulator: one call or one batch upstream,
/// duplicates reported per entry, cache invalidation of the touched orders.
@Suite(.serialized) struct ShipmentServiceTests {
    static func entry(_ orderID: String, _ tracking: String, carrier: String = "UPS") -> BatchShipment {
        BatchShipment(orderID: orderID, shipment: NewShipment(trackingNumber: tracking, carrierCode: carrier))
    }

    @Test func anAddedShipmentIsOnTheOrderAndTheCachedOrderIsDropped() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)  // fills the cache
            let results = try await h.service.addShipments(
                tenantID: h.tenantID, store: h.store, [Self.entry(id, "1ZSVC0001")])
            #expect(results.map(\.status) == [.added])
            #expect(results[0].shipmentID != nil)
            #expect(try await h.upstream("POST", "/orders/\(id)/shipments") == 1)
            #expect(try await h.upstream("POST", "/batch-shipments") == 0)

            let (order, cached) = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            #expect(cached == false, "the order's cache entry survived the shipment")
            let tracking = (order["order_shipments"]?.arrayValue ?? []).compactMap { $0["tracking_number"]?.stringValue }
            #expect(tracking.contains("1ZSVC0001"))
            let listed = try await h.service.listShipments(tenantID: h.tenantID, store: h.store, orderID: id)
            #expect(listed.contains { $0["id"]?.lenientString == results[0].shipmentID })
        }
    }

    @Test func theSameShipmentAgainIsADuplicateNamingTheExistingOne() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            let first = try await h.service.addShipments(tenantID: h.tenantID, store: h.store, [Self.entry(id, "1ZDUP")])
            // Other case: OrderDesk's equivalence ignores case.
            let again = try await h.service.addShipments(
                tenantID: h.tenantID, store: h.store, [Self.entry(id, "1zdup", carrier: "ups")])
            #expect(again.map(\.status) == [.duplicate])
            #expect(again[0].shipmentID == first[0].shipmentID)
            #expect(again[0].error == nil)
            let shipments = try await h.simulator.order(id)["order_shipments"]?.arrayValue ?? []
            #expect(shipments.filter { $0["tracking_number"]?.stringValue == "1ZDUP" }.count == 1)
        }
    }

    @Test func aBatchIsOneUpstreamCallWithAResultPerEntry() async throws {
        try await OrdersHarness.run { h in
            let ids = try await h.orderIDs(2)
            _ = try await h.service.addShipments(tenantID: h.tenantID, store: h.store, [Self.entry(ids[0], "1ZOLD")])
            try await h.simulator.reset()
            let results = try await h.service.addShipments(
                tenantID: h.tenantID, store: h.store,
                [
                    Self.entry(ids[0], "1ZNEW-A"), Self.entry(ids[1], "1ZNEW-B"), Self.entry(ids[0], "1ZOLD"),
                    Self.entry(ids[1], "1ZNEW-B"), Self.entry("99999999", "1ZNOWHERE"),
                ])
            #expect(results.map(\.status) == [.added, .added, .duplicate, .duplicate, .notFound])
            #expect(results.map(\.orderID) == [ids[0], ids[1], ids[0], ids[1], "99999999"])
            #expect(results[3].shipmentID == results[1].shipmentID)
            #expect(results[4].error?.code == .notFound)
            // One batch; then one read for each order with a refused entry (the unknown one and ids[0]).
            #expect(try await h.upstream("POST", "/batch-shipments") == 1)
            #expect(try await h.upstream("POST", "/orders/\(ids[0])/shipments") == 0)
            #expect(try await h.upstream("GET", "/orders/\(ids[0])/shipments") == 1)
            #expect(try await h.upstream("GET", "/orders/\(ids[1])/shipments") == 0)
        }
    }

    @Test func deletingRemovesTheShipmentAndAnUnknownOneIsNotFound() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            let added = try await h.service.addShipments(tenantID: h.tenantID, store: h.store, [Self.entry(id, "1ZDEL")])
            let shipmentID = try #require(added[0].shipmentID)
            try await h.service.deleteShipment(tenantID: h.tenantID, store: h.store, orderID: id, shipmentID: shipmentID)
            let listed = try await h.service.listShipments(tenantID: h.tenantID, store: h.store, orderID: id)
            #expect(!listed.contains { $0["id"]?.lenientString == shipmentID })
            let error = await caught(OrderDeskError.self) {
                try await h.service.deleteShipment(tenantID: h.tenantID, store: h.store, orderID: id, shipmentID: shipmentID)
            }
            #expect(error?.code == .notFound)
        }
    }
}
