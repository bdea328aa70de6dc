import JSON
import TestSupport
import Testing

/// `PUT /orders/{id}` is a full replacement (reference §2.4).
@Suite("PUT /orders/{id}")
struct OrderReplacementTests {
    @Test func omittedEmailIsBlankedAfterPut() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { $0["email"]?.stringValue?.isEmpty == false }
        let original = try await sim.order(id)

        let put = try await sim.request("PUT", "/orders/\(id)", body: original.setting("email", to: nil))
        let after = try await sim.order(id)

        #expect(put.status == 200)
        #expect(put.json?["message"] == "Order Updated")
        #expect(after["email"] == "")
        #expect(after["shipping"] == original["shipping"])
        #expect(after["date_updated"] != original["date_updated"])
    }

    @Test func omittedObjectsAndNumbersAreBlanked() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { ($0["shipping_total"]?.lenientDouble ?? 0) > 0 }
        let original = try await sim.order(id)

        let body = original.setting("shipping_total", to: nil).setting("return_address", to: nil)
            .setting("checkout_data", to: nil)
        _ = try await sim.request("PUT", "/orders/\(id)", body: body)
        let after = try await sim.order(id)

        #expect(after["shipping_total"]?.lenientDouble == 0)
        #expect(after["return_address"]?["name"] == "")
        #expect(after["checkout_data"] == .array([]))
    }

    @Test func putKeepsShipmentsEvenWhenTheBodyOmitsOrChangesThem() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { ($0["order_shipments"]?.arrayValue?.isEmpty) == false }
        let original = try await sim.order(id)

        _ = try await sim.request("PUT", "/orders/\(id)", body: original.setting("order_shipments", to: []))
        let afterEmptyList = try await sim.order(id)
        _ = try await sim.request("PUT", "/orders/\(id)", body: original.setting("order_shipments", to: nil))
        let afterOmitted = try await sim.order(id)

        #expect(afterEmptyList["order_shipments"] == original["order_shipments"])
        #expect(afterOmitted["order_shipments"] == original["order_shipments"])
    }

    @Test func itemsAreMatchedByIdToUpdateAddAndRemoveAndTotalsAreRecomputed() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { ($0["order_items"]?.arrayValue?.count ?? 0) >= 2 }
        let original = try await sim.order(id)
        let items = try #require(original["order_items"]?.arrayValue)
        let kept = items[0].setting("quantity", to: 4).setting("price", to: "10.00")
        let added: JSONValue = ["name": "Gift Wrap", "code": "WRAP", "price": 2.5, "quantity": 2]

        let put = try await sim.request("PUT", "/orders/\(id)", body: original.setting("order_items", to: [kept, added]))
        let after = try await sim.order(id)
        let afterItems = try #require(after["order_items"]?.arrayValue)

        #expect(put.status == 200)
        #expect(afterItems.count == 2)
        #expect(afterItems[0]["id"] == items[0]["id"])
        #expect(afterItems[0]["quantity"]?.lenientInt == 4)
        #expect(afterItems[1]["name"] == "Gift Wrap")
        #expect(afterItems[1]["id"]?.stringValue?.isEmpty == false)
        #expect(afterItems[1]["id"] != items[1]["id"])
        #expect(!afterItems.contains { $0["id"] == items[1]["id"] })
        #expect(after["product_total"]?.lenientDouble == 45)
        #expect(after["quantity_total"]?.lenientInt == 6)
        let expectedTotal =
            45 + (after["shipping_total"]?.lenientDouble ?? 0) + (after["handling_total"]?.lenientDouble ?? 0)
            + (after["tax_total"]?.lenientDouble ?? 0) - (after["discount_total"]?.lenientDouble ?? 0)
        #expect(abs((after["order_total"]?.lenientDouble ?? 0) - expectedTotal) < 0.005)
    }

    @Test func putWithoutAnyNameOrCompanyIsRejectedAndChangesNothing() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }
        let original = try await sim.order(id)

        let put = try await sim.request("PUT", "/orders/\(id)", body: ["email": "someone@example.com"])
        let after = try await sim.order(id)

        #expect(put.status == 400)
        #expect(put.json?["status"] == "error")
        #expect(after == original)
    }
}
