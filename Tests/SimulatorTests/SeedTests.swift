import JSON
import TestSupport
import Testing

/// Seeded data is deterministic and shaped like OrderDesk's.
@Suite("Seeded data")
struct SeedTests {
    @Test func twoSimulatorsWithTheSameSeedServeTheSameFirstOrder() async throws {
        let first = try await SimulatorProcess.launch(seed: 42)
        defer { first.stop() }
        let second = try await SimulatorProcess.launch(seed: 42)
        defer { second.stop() }
        let other = try await SimulatorProcess.launch(seed: 43)
        defer { other.stop() }

        let a = try await first.listOrders("limit=1").orders.first
        let b = try await second.listOrders("limit=1").orders.first
        let c = try await other.listOrders("limit=1").orders.first

        #expect(a != nil)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func seededOrdersHaveOrderDeskShapesAndConsistentTotals() async throws {
        let sim = try await SimulatorProcess.launch(orders: 40)
        defer { sim.stop() }

        let (_, orders) = try await sim.listOrders("limit=500")

        #expect(orders.count == 40)
        for order in orders {
            #expect(order["id"]?.stringValue != nil)
            #expect(order["folder_id"]?.lenientInt != nil && order["folder_id"]?.stringValue == nil)
            #expect(order["email_count"]?.stringValue != nil)
            #expect(order["date_added"]?.stringValue?.count == 19)
            #expect(order["customer"]?["address3"] == nil)
            #expect(order["shipping"]?["address3"] == "")
            let items = order["order_items"]?.arrayValue ?? []
            #expect(!items.isEmpty)
            #expect(items.allSatisfy { $0["id"]?.stringValue != nil && $0["variation_list"] != nil })
            let product = items.reduce(0.0) {
                $0 + ($1["price"]?.lenientDouble ?? 0) * Double($1["quantity"]?.lenientInt ?? 0)
            }
            #expect(abs((order["product_total"]?.lenientDouble ?? -1) - product) < 0.005)
            let total =
                product + (order["shipping_total"]?.lenientDouble ?? 0) + (order["handling_total"]?.lenientDouble ?? 0)
                + (order["tax_total"]?.lenientDouble ?? 0) - (order["discount_total"]?.lenientDouble ?? 0)
            #expect(abs((order["order_total"]?.lenientDouble ?? -1) - total) < 0.005)
        }
        // PHP's `[]` for an empty map appears somewhere in the data.
        #expect(orders.contains { $0["checkout_data"] == .array([]) })
    }

    @Test func resetWithReseedRestoresTheSeededData() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }
        let original = try await sim.order(id)

        #expect(try await sim.request("DELETE", "/orders/\(id)").status == 200)
        #expect(try await sim.request("GET", "/orders/\(id)").status == 404)
        try await sim.reset(reseed: true)

        #expect(try await sim.order(id) == original)
    }
}
