import JSON
import TestSupport
import Testing

/// `POST /orders` validation and defaults (reference §2.3).
@Suite("POST /orders")
struct OrderCreationTests {
    @Test func orderWithoutItemsIsRejected() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let reply = try await sim.request("POST", "/orders", body: ["customer_first_name": "Ann", "order_items": []])

        #expect(reply.status == 400)
        #expect(reply.json?["status"] == "error")
        #expect(reply.json?["message"]?.stringValue?.isEmpty == false)
    }

    @Test func orderWithoutAnyNameOrCompanyIsRejected() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let reply = try await sim.request(
            "POST", "/orders", body: ["email": "x@example.com", "order_items": [["name": "Mug", "price": 12]]])
        let (after, _) = try await sim.listOrders()

        #expect(reply.status == 400)
        #expect(reply.json?["status"] == "error")
        #expect(after["total_records"] == 25)
    }

    @Test func createdOrderGetsOrderDeskDefaultsAndComputedTotals() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let folders = try #require(try await sim.request("GET", "/store").json?["store"]?["folders"]?.objectValue)
        let newFolder = try #require(folders.first { $0.value == "New" }?.key)

        let reply = try await sim.request(
            "POST", "/orders",
            body: [
                "email": "ann@example.com", "customer_first_name": "Ann", "customer_last_name": "Lee",
                "shipping_total": "4.50",
                "order_items": [["name": "Mug", "price": "12.50", "quantity": 2], ["name": "Sticker"]],
            ])
        let order = try #require(reply.json?["order"])
        let id = try #require(order["id"]?.stringValue)

        #expect(reply.status == 200)
        #expect(order["source_name"] == "Order Desk")
        #expect(order["source_id"]?.stringValue == id)
        #expect(order["folder_id"]?.lenientString == newFolder)
        #expect(order["payment_status"] == "Captured")
        #expect(order["shipping"]?["first_name"] == "Ann")
        #expect(order["product_total"]?.lenientDouble == 25)
        #expect(order["order_total"]?.lenientDouble == 29.5)
        #expect(order["processor_balance"]?.lenientDouble == 29.5)
        #expect(order["order_items"]?[1]?["quantity"] == 1)
        #expect(order["order_items"]?[1]?["delivery_type"] == "ship")
        #expect(try await sim.order(id)["email"] == "ann@example.com")
    }

    @Test func sameSourceIdAndSourceNameIsADuplicate() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let body: JSONValue = [
            "source_id": "A-1", "source_name": "Shopify", "shipping_company": "Acme", "order_items": [["name": "Mug"]],
        ]

        let first = try await sim.request("POST", "/orders", body: body)
        let second = try await sim.request("POST", "/orders", body: body)

        #expect(first.status == 200)
        #expect(second.status == 400)
        let existing = try #require(first.json?["order"]?["id"]?.stringValue)
        #expect(second.json?["message"]?.stringValue?.contains(existing) == true)
    }
}

extension JSONValue {
    /// Element `index` of an array.
    fileprivate subscript(index: Int) -> JSONValue? {
        guard let elements = arrayValue, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
