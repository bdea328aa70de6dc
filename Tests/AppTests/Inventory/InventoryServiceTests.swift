import Foundation
import JSON
import OrderDesk
import Postgres
import TestSupport
import Testing

@testable import App

/// Inventory through `OrderService.inventory`: stock changes serialized per item across replicas by
/// the update lease (in its own key namespace), refused negative stock, lookups by SKU, and the list
/// cache dropped by a stock change.
@Suite(.serialized) struct InventoryServiceTests {
    /// The first seeded inventory item, as the simulator holds it.
    private static func firstItem(_ h: OrdersHarness) async throws -> InventoryItem {
        let reply = try await h.simulator.request("GET", "/inventory-items?limit=1")
        guard let fields = reply.json?["inventory_items"]?.arrayValue?.first?.objectValue else {
            throw TestSetupError("the simulator listed no inventory items")
        }
        try await h.simulator.reset()
        return InventoryItem(fields: fields)
    }

    private static func simulatorStock(_ h: OrdersHarness, _ id: Int64) async throws -> Int64? {
        try await h.simulator.request("GET", "/inventory-items/\(id)").json?["inventory_item"]?["stock"]?.lenientInt
    }

    @Test func tenConcurrentDeltasFromTwoReplicasAreAllApplied() async throws {
        try await OrdersHarness.run { h in
            let item = try await Self.firstItem(h)
            let id = try #require(item.id)
            let before = item.stock ?? 0
            try await h.withSecondReplica { replica2 in
                let services = [h.service.inventory, replica2.service.inventory]
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<10 {
                        let service = services[index % 2]
                        group.addTask {
                            _ = try await service.updateStock(
                                tenantID: h.tenantID, store: h.store, item: .id(id), change: .adjust(by: 1))
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(try await Self.simulatorStock(h, id) == before + 10)
            #expect(try await h.upstream("PUT", "/inventory-items/\(id)") == 10)
        }
    }

    @Test func aDeltaBelowZeroIsRefusedAndWritesNothing() async throws {
        try await OrdersHarness.run { h in
            let item = try await Self.firstItem(h)
            let id = try #require(item.id)
            let before = item.stock ?? 0
            let error = await orderServiceError {
                try await h.service.inventory.updateStock(
                    tenantID: h.tenantID, store: h.store, item: .id(id), change: .adjust(by: -(before + 1)))
            }
            #expect(error?.code == .validation)
            #expect(error?.message.contains("\(before) in stock") == true, "\(String(describing: error))")
            #expect(try await h.upstream("PUT", "/inventory-items/\(id)") == 0)
            #expect(try await Self.simulatorStock(h, id) == before)
        }
    }

    @Test func setByCodeWritesTheWholeItemWithTheNewStock() async throws {
        try await OrdersHarness.run { h in
            let item = try await Self.firstItem(h)
            let code = try #require(item.code)
            let update = try await h.service.inventory.updateStock(
                tenantID: h.tenantID, store: h.store, item: .code(code), change: .set(7))
            #expect(update.stock == 7 && update.previousStock == (item.stock ?? 0))
            let puts = try await h.simulator.requests(method: "PUT")
            #expect(puts.count == 1)
            let stored = try await h.simulator.request("GET", "/inventory-items/\(item.id ?? 0)").json?["inventory_item"]
            #expect(stored?["stock"]?.lenientInt == 7)
            // Every other field survived the full PUT.
            for key in ["name", "code", "price", "cost", "location", "manufacturer_sku", "variation_list"] {
                #expect(stored?[key] == item.fields[key], "\(key) changed")
            }
        }
    }

    @Test func getByCodeIgnoresCaseAndAnUnknownCodeIsNotFound() async throws {
        try await OrdersHarness.run { h in
            let item = try await Self.firstItem(h)
            let code = try #require(item.code)
            let found = try await h.service.inventory.get(
                tenantID: h.tenantID, store: h.store, item: .code(code.lowercased()))
            #expect(found["id"]?.lenientInt == item.id)
            let error = await orderServiceError {
                try await h.service.inventory.get(tenantID: h.tenantID, store: h.store, item: .code("NO-SUCH-SKU"))
            }
            #expect(error?.code == .notFound)
        }
    }

    @Test func aStockChangeDropsTheCachedList() async throws {
        try await OrdersHarness.run { h in
            let item = try await Self.firstItem(h)
            let code = try #require(item.code)
            let query = InventoryQuery(codes: [code], limit: 5, offset: 0)
            let first = try await h.service.inventory.list(tenantID: h.tenantID, store: h.store, query: query)
            let second = try await h.service.inventory.list(tenantID: h.tenantID, store: h.store, query: query)
            #expect(first.cached == false && second.cached == true)
            #expect(second.page["has_more"] == false && second.page["total_records"] == 1)
            _ = try await h.service.inventory.updateStock(
                tenantID: h.tenantID, store: h.store, item: .code(code), change: .set(3))
            let third = try await h.service.inventory.list(tenantID: h.tenantID, store: h.store, query: query)
            #expect(third.cached == false)
            #expect(third.page["inventory_items"]?.arrayValue?.first?["stock"]?.lenientInt == 3)
        }
    }

    /// Item 2510's lease is not order 2510's: an order update holding its lease does not block it.
    @Test func anItemLeaseIsNotTheLeaseOfTheOrderWithTheSameNumber() async throws {
        try await OrdersHarness.run { h in
            let item = try await Self.firstItem(h)
            let id = try #require(item.id)
            let leases = OrderUpdateLeases(database: h.database, duration: .seconds(60))
            let update = try await leases.withLease(
                tenantID: h.tenantID, storeID: h.store.id, orderID: String(id), timeout: .seconds(1)
            ) { _ in
                try await h.service.inventory.updateStock(
                    tenantID: h.tenantID, store: h.store, item: .id(id), change: .adjust(by: 2))
            }
            #expect(update.stock == (item.stock ?? 0) + 2)
        }
    }
}
