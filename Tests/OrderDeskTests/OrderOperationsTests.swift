import JSON
import OrderDesk
import TestSupport
import Testing

/// Happy paths of the order operations against the real simulator process.
@Suite struct OrderOperationsTests {
    static let newOrder: JSONValue = [
        "email": "new.customer@example.com",
        "source_id": "T-1001",
        "source_name": "Test Cart",
        "shipping_method": "USPS Priority",
        "shipping_total": 7.95,
        "shipping": [
            "first_name": "Ada", "last_name": "Lovelace", "address1": "12 Analytical Way", "city": "London",
            "postal_code": "N1", "country": "GB",
        ],
        "order_items": [
            ["name": "Difference Engine", "code": "DE-1", "price": 100, "quantity": 2],
            ["name": "Punch Card", "code": "PC-9", "price": "0.5", "quantity": 10],
        ],
    ]

    @Test func connectionTestSucceedsWithTheRightKey() async throws {
        try await SimulatorHarness.run { harness in
            let result = try await harness.api.testConnection()
            #expect(result.message == "Connection Successful")
            #expect(result.currentDateTime?.count == 19)
        }
    }

    @Test func wrongKeyIsUnauthorized() async throws {
        try await SimulatorHarness.run { harness in
            let wrong = StoreCredentials(storeID: SimulatorProcess.Store.standard.id, apiKey: "wrong-key-0123456789abcdef")
            let error = try #require(await orderDeskError { try await harness.client.store(wrong).testConnection() })
            #expect(error.code == .unauthorized)
            #expect(error.httpStatus == 401)
            #expect(!error.description.contains("wrong-key-0123456789abcdef"))
            #expect(try await harness.upstreamCalls() == 1)
        }
    }

    @Test func listOrdersReturnsTheEnvelopeAndFilters() async throws {
        try await SimulatorHarness.run(orders: 30) { harness in
            let page = try await harness.api.listOrders(OrderQuery(limit: 5, offset: 10))
            #expect(page.totalRecords == 30)
            #expect(page.recordsReturned == 5)
            #expect(page.offset == 10)
            #expect(page.limit == 5)
            #expect(page.orders.count == 5)
            #expect(page.hasMore)

            let sample = try #require(page.orders.first)
            let byEmail = try await harness.api.listOrders(OrderQuery(email: sample.email, limit: 500))
            #expect(byEmail.orders.contains { $0.id == sample.id })
            #expect(byEmail.orders.allSatisfy { $0.email?.lowercased() == sample.email?.lowercased() })

            let folder = try #require(sample.folderID)
            let inFolder = try await harness.api.listOrders(OrderQuery(folderIDs: [folder], limit: 500))
            #expect(inFolder.orders.allSatisfy { $0.folderID == folder })
            #expect(inFolder.orders.contains { $0.id == sample.id })

            let ascending = try await harness.api.listOrders(OrderQuery(orderBy: "date_added", order: .ascending, limit: 500))
            let dates = ascending.orders.compactMap(\.dateAdded)
            #expect(dates == dates.sorted())
            #expect(ascending.orders.count == 30)
        }
    }

    @Test func getOrderReturnsEveryField() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            let order = try await harness.api.getOrder(id)
            let raw = try await harness.simulator.order(id)
            #expect(order.id == id)
            #expect(order.json == raw)
            #expect(!order.items.isEmpty)
        }
    }

    @Test func unknownOrderIsNotFound() async throws {
        try await SimulatorHarness.run { harness in
            let error = try #require(await orderDeskError { try await harness.api.getOrder("999999999") })
            #expect(error.code == .notFound)
            #expect(error.httpStatus == 404)
            #expect(error.message.contains("999999999"))
            #expect(try await harness.upstreamCalls() == 1)
        }
    }

    @Test func createdOrderCanBeReadBack() async throws {
        try await SimulatorHarness.run { harness in
            let created = try await harness.api.createOrder(Self.newOrder)
            let id = try #require(created.id)
            #expect(created.email == "new.customer@example.com")
            #expect(created.items.count == 2)
            #expect(created.quantityTotal == 12)
            #expect(created.shipping?.city == "London")
            let fetched = try await harness.api.getOrder(id)
            #expect(fetched.sourceID == "T-1001")
            #expect(fetched.items.map(\.code) == ["DE-1", "PC-9"])
        }
    }

    @Test func invalidOrdersAreRefusedBeforeSending() async throws {
        try await SimulatorHarness.run { harness in
            let noItems = await orderDeskError {
                try await harness.api.createOrder(["shipping": ["first_name": "Ada"], "order_items": []])
            }
            #expect(noItems?.code == .validation)
            let noName = await orderDeskError {
                try await harness.api.createOrder(["order_items": [["name": "x"]]])
            }
            #expect(noName?.code == .validation)
            let calls = try await harness.upstreamCalls()
            #expect(calls == 0)
        }
    }

    @Test func upstreamValidationErrorsCarryOrderDeskMessage() async throws {
        try await SimulatorHarness.run { harness in
            _ = try await harness.api.createOrder(Self.newOrder)
            // Same source_id + source_name: the simulator refuses the duplicate with a 400.
            let error = try #require(await orderDeskError { try await harness.api.createOrder(Self.newOrder) })
            #expect(error.code == .validation)
            #expect(error.httpStatus == 400)
            #expect(error.message.contains("Duplicate order"))
        }
    }

    @Test func replaceOrderPutsTheWholeOrder() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            let current = try await harness.api.getOrder(id)
            let changed = try OrderMerge.merge(["email": "replaced@example.com"], into: current)
            let stored = try await harness.api.replaceOrder(changed)
            #expect(stored.email == "replaced@example.com")
            #expect(stored.items.map(\.id) == current.items.map(\.id))
            #expect(stored.shipping == current.shipping)
            #expect(try await harness.upstreamCalls(method: "PUT") == 1)
        }
    }

    @Test func deletedOrderIsGone() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            try await harness.api.deleteOrder(id)
            let error = await orderDeskError { try await harness.api.getOrder(id) }
            #expect(error?.code == .notFound)
        }
    }

    @Test func moveOrdersChangesTheFolder() async throws {
        try await SimulatorHarness.run { harness in
            let store = try await harness.api.getStore()
            let prepared = try #require(store.folderID(named: "Prepared"))
            let id = try await harness.someOrderID()
            let results = try await harness.api.moveOrders([id], to: .name("Prepared"))
            #expect(results.count == 1)
            #expect(results.first?.orderID == id)
            #expect(results.first?.message?.contains("Prepared") == true)
            #expect(try await harness.api.getOrder(id).folderID == prepared)

            let closed = try #require(store.folderID(named: "Closed"))
            _ = try await harness.api.moveOrders([id], to: .id(closed))
            #expect(try await harness.api.getOrder(id).folderID == closed)
        }
    }

    @Test func historyEntriesAreAppended() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            let order = try await harness.api.addOrderHistory(orderID: id, note: "Called the customer", sourceName: "MCP")
            #expect(order.history.contains { $0.note == "Called the customer" && $0.sourceName == "MCP" })
            let listed = try await harness.api.getOrder(id, includeHistory: true)
            #expect(listed.history.contains { $0.note == "Called the customer" })
        }
    }

    @Test func updateOrderChangesOnlyWhatWasAsked() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            let before = try await harness.api.getOrder(id)
            let item = try #require(before.items.first)
            let updated = try await harness.api.updateOrder(
                id,
                changes: [
                    "shipping": ["city": "Austin"],
                    "order_items": [["id": .string(item.id ?? ""), "quantity": 7]],
                    "order_notes": ["Leave at the back door"],
                ])
            #expect(updated.shipping?.city == "Austin")
            #expect(updated.shipping?.address1 == before.shipping?.address1)
            #expect(updated.shipping?.lastName == before.shipping?.lastName)
            #expect(updated.email == before.email)
            #expect(updated.items.count == before.items.count)
            #expect(updated.items.first { $0.id == item.id }?.quantity == 7)
            #expect(updated.items.first { $0.id == item.id }?.name == item.name)
            #expect(updated.notes.count == before.notes.count + 1)
            #expect(updated.notes.last?.content == "Leave at the back door")
            #expect(updated.dateUpdated != nil)
        }
    }

    @Test func staleExpectedDateUpdatedIsAConflictAndSendsNothing() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            let current = try await harness.api.getOrder(id)
            try await harness.resetLog()
            let error = try #require(
                await orderDeskError {
                    try await harness.api.updateOrder(
                        id, changes: ["email": "x@example.com"], expectedDateUpdated: "2001-01-01 00:00:00")
                })
            #expect(error.code == .conflict)
            #expect(error.currentDateUpdated == current.dateUpdated)
            #expect(try await harness.upstreamCalls(method: "PUT") == 0)
            #expect(try await harness.upstreamCalls() == 1)

            let updated = try await harness.api.updateOrder(
                id, changes: ["email": "x@example.com"], expectedDateUpdated: current.dateUpdated)
            #expect(updated.email == "x@example.com")
        }
    }

    @Test func invalidChangesSendNoPut() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            try await harness.resetLog()
            let error = await orderDeskError {
                try await harness.api.updateOrder(id, changes: ["order_items": [["id": "1", "quantity": 2]]])
            }
            #expect(error?.code == .validation)
            #expect(try await harness.upstreamCalls(method: "PUT") == 0)
        }
    }

    @Test func oneClientServesManyStores() async throws {
        try await SimulatorHarness.run(stores: [.standard, .second], orders: 5) { harness in
            let first = try await harness.api(.standard).listOrders()
            let second = try await harness.api(.second).listOrders()
            #expect(!first.orders.isEmpty && !second.orders.isEmpty)
            #expect(Set(first.orders.compactMap(\.id)).isDisjoint(with: second.orders.compactMap(\.id)))
            let storeIDs = try await harness.simulator.requests().compactMap { $0["store_id"]?.stringValue }
            #expect(storeIDs == [SimulatorProcess.Store.standard.id, SimulatorProcess.Store.second.id])
            // Store A's credentials cannot read store B's orders.
            let foreign = await orderDeskError {
                try await harness.api(.standard).getOrder(second.orders[0].id ?? "")
            }
            #expect(foreign?.code == .notFound)
        }
    }
}
