import JSON
import TestSupport
import Testing

/// `/store`, `/move-orders`, order history, shipments and inventory.
@Suite("Store resources")
struct StoreResourceTests {
    @Test func storeListsFoldersAsAnIdToNameMap() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let store = try #require(try await sim.request("GET", "/store").json?["store"])
        let folders = try #require(store["folders"]?.objectValue)

        #expect(store["id"] == "10001")
        #expect(Set(folders.values.compactMap(\.stringValue)) == ["New", "Prepared", "Closed", "Canceled"])
        #expect(folders.keys.allSatisfy { Int($0) != nil })
    }

    @Test func moveOrdersChangesTheFolderAndReportsEachOrder() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }
        let before = try await sim.order(id)

        let reply = try await sim.request(
            "POST", "/move-orders",
            body: ["order_id_list": [.int(Int64(id)!), 1], "destination_folder_name": "Canceled"])
        let after = try await sim.order(id)
        let folders = try #require(try await sim.request("GET", "/store").json?["store"]?["folders"]?.objectValue)

        #expect(reply.json?["message"] == "1 Orders Moved")
        #expect(reply.json?["results"]?.arrayValue?.first?["original_folder_id"] == before["folder_id"])
        #expect(folders[after["folder_id"]?.lenientString ?? ""] == "Canceled")
    }

    @Test func historyNoteIsAppendedAndListedWithGetOrderHistory() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }

        let reply = try await sim.request(
            "POST", "/orders/\(id)/order-history", body: ["note": "Called the customer", "source_name": "Tests"])
        let (_, orders) = try await sim.listOrders("get_order_history=1&limit=500")
        let history = orders.first { $0["id"]?.stringValue == id }?["order_history"]?.arrayValue ?? []

        #expect(reply.status == 200)
        #expect(reply.json?["order"]?["order_history"]?.arrayValue?.last?["note"] == "Called the customer")
        #expect(history.last?["source_name"] == "Tests")
    }

    @Test func shipmentsCanBeAddedListedAndDeletedAndDuplicatesAreRefused() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { ($0["order_shipments"]?.arrayValue?.isEmpty) == true }
        let shipment: JSONValue = ["tracking_number": "1Z999AA10123456784", "carrier_code": "UPS", "shipment_method": "Ground"]

        let added = try await sim.request("POST", "/orders/\(id)/shipments", body: shipment)
        let duplicate = try await sim.request("POST", "/orders/\(id)/shipments", body: shipment)
        let list = try await sim.request("GET", "/orders/\(id)/shipments")
        let shipmentID = try #require(list.json?["shipments"]?.arrayValue?.first?["id"]?.stringValue)
        let deleted = try await sim.request("DELETE", "/orders/\(id)/shipments/\(shipmentID)")
        let afterDelete = try await sim.request("GET", "/orders/\(id)/shipments/\(shipmentID)")

        #expect(added.json?["message"] == "Shipment Added")
        #expect(duplicate.json?["message"] == "Shipment Not Added")
        #expect(duplicate.json?["status"] == "error")
        #expect(list.json?["total_records"] == 1)
        #expect(list.json?["shipments"]?.arrayValue?.first?["tracking_url"]?.stringValue?.contains("ups.com") == true)
        #expect(deleted.json?["message"]?.stringValue == "Shipment \(shipmentID) Deleted")
        #expect(afterDelete.status == 404)
    }

    @Test func inventoryItemsHaveIntegerIdsAndSupportCrud() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let list = try await sim.request("GET", "/inventory-items?limit=3")
        let created = try await sim.request(
            "POST", "/inventory-items", body: ["name": "Test Item", "code": "TEST-1", "price": 9.5, "stock": 4])
        let id = try #require(created.json?["inventory_item"]?["id"]?.lenientInt)
        let duplicateCode = try await sim.request("POST", "/inventory-items", body: ["name": "Again", "code": "TEST-1"])
        let updated = try await sim.request("PUT", "/inventory-items/\(id)", body: ["name": "Renamed", "code": "TEST-1"])
        let fetched = try await sim.request("GET", "/inventory-items/\(id)")
        let deleted = try await sim.request("DELETE", "/inventory-items/\(id)")

        #expect(list.json?["total_records"]?.stringValue != nil)
        #expect(list.json?["records_returned"] == 3)
        #expect(list.json?["inventory_items"]?.arrayValue?.first?["id"]?.stringValue == nil)
        #expect(created.json?["message"] == "Inventory Item Added")
        #expect(duplicateCode.status == 400)
        #expect(updated.json?["message"] == "Inventory Item Updated")
        #expect(fetched.json?["inventory_item"]?["name"] == "Renamed")
        #expect(fetched.json?["inventory_item"]?["stock"] == 0)
        #expect(deleted.json?["message"]?.stringValue == "Inventory Item \(id) Deleted")
    }
}
