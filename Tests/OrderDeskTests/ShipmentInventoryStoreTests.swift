import JSON
import OrderDesk
import TestSupport
import Testing

/// Happy paths of shipments, inventory and store settings against the real simulator process.
@Suite struct ShipmentInventoryStoreTests {
    @Test func shipmentsCanBeAddedListedReadAndDeleted() async throws {
        try await SimulatorHarness.run { harness in
            let orderID = try await harness.someOrderID()
            let before = try await harness.api.listShipments(orderID: orderID)
            let added = try await harness.api.addShipment(
                orderID: orderID,
                NewShipment(trackingNumber: "1ZTEST0001", carrierCode: "UPS", shipmentMethod: "Ground", weight: 1.25))
            let shipmentID = try #require(added?.id)
            #expect(added?.trackingNumber == "1ZTEST0001")

            let listed = try await harness.api.listShipments(orderID: orderID)
            #expect(listed.count == before.count + 1)
            let fetched = try await harness.api.getShipment(orderID: orderID, shipmentID: shipmentID)
            #expect(fetched.carrierCode == "UPS")
            #expect(fetched.weight == 1.25)
            #expect(fetched.trackingURL?.contains("1ZTEST0001") == true)

            let duplicate = await orderDeskError {
                try await harness.api.addShipment(orderID: orderID, NewShipment(trackingNumber: "1ZTEST0001", carrierCode: "UPS"))
            }
            #expect(duplicate?.code == .validation)
            #expect(duplicate?.message.contains("Shipment Not Added") == true)

            try await harness.api.deleteShipment(orderID: orderID, shipmentID: shipmentID)
            #expect(try await harness.api.listShipments(orderID: orderID).count == before.count)
            let gone = await orderDeskError { try await harness.api.getShipment(orderID: orderID, shipmentID: shipmentID) }
            #expect(gone?.code == .notFound)
        }
    }

    @Test func inventoryItemsCanBeManaged() async throws {
        try await SimulatorHarness.run { harness in
            let page = try await harness.api.listInventoryItems(InventoryQuery(limit: 5))
            #expect(page.items.count <= 5)
            #expect(page.totalRecords >= page.items.count)

            let created = try #require(
                try await harness.api.createInventoryItem([
                    "name": "Test Widget", "code": "WIDGET-T1", "price": 9.99, "stock": 12, "location": "A1",
                ]))
            let id = try #require(created.id)
            #expect(created.stock == 12)

            let byCode = try await harness.api.listInventoryItems(InventoryQuery(codes: ["WIDGET-T1"]))
            #expect(byCode.items.map(\.id) == [id])

            let updated = try await harness.api.updateInventoryItem(id, changes: ["stock": 7])
            #expect(updated.stock == 7)
            #expect(updated.name == "Test Widget")
            #expect(updated.location == "A1")
            #expect(updated.price == 9.99)

            let replaced = try await harness.api.replaceInventoryItem(
                id, with: ["name": "Widget II", "code": "WIDGET-T1", "price": 5])
            #expect(replaced?.name == "Widget II")
            #expect(try await harness.api.getInventoryItem(id).stock == 0)

            try await harness.api.deleteInventoryItem(id)
            let gone = await orderDeskError { try await harness.api.getInventoryItem(id) }
            #expect(gone?.code == .notFound)
        }
    }

    @Test func storeSettingsListFoldersAndHideSecrets() async throws {
        try await SimulatorHarness.run { harness in
            let store = try await harness.api.getStore()
            #expect(store.id == SimulatorProcess.Store.standard.id)
            #expect(Set(store.folders.values) == ["New", "Prepared", "Closed", "Canceled"])
            #expect(store.settings["timezone"] != nil)
            #expect(store.settings["api_key"] == nil)
            #expect(store.settings["smtp_password"] == nil)
            #expect(!store.settings.encodedDescription.contains(SimulatorProcess.Store.standard.apiKey))
        }
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    var encodedDescription: String { JSONValue.object(self).encodedString() }
}
