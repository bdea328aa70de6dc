import JSON
import Testing

@testable import OrderDesk

/// OrderDesk's PHP habits (numbers as strings, `[]` for empty maps, lists as keyed objects) must
/// read as the values they mean, and unknown fields must survive.
@Suite struct LenientModelTests {
    @Test func orderAccessorsReadStringsNumbersAndEmptyMaps() throws {
        let order = try #require(
            Order(json: [
                "id": 925_086, "email": "jane@example.com", "folder_id": "21654", "order_total": "51.01",
                "quantity_total": 3.0, "date_updated": "2025-04-15 15:32:04", "checkout_data": [],
                "shipping": ["first_name": "Jimmy", "postal_code": 37203],
                "order_items": [
                    "0": ["id": "1", "name": "A", "price": "5.5", "quantity": "2", "variation_list": []],
                    "1": ["id": 2, "name": "B", "price": 3, "variation_list": ["Size": "L"]],
                ],
                "order_notes": "",
                "order_shipments": [["id": "437", "weight": "3.55", "order_id": 925_086]],
                "x_unknown": ["kept": true],
            ]))
        #expect(order.id == "925086")
        #expect(order.folderID == 21654)
        #expect(order.orderTotal == 51.01)
        #expect(order.quantityTotal == 3)
        #expect(order.checkoutData.isEmpty)
        #expect(order.shipping?.postalCode == "37203")
        #expect(order.items.map(\.id) == ["1", "2"])
        #expect(order.items[0].price == 5.5)
        #expect(order.items[0].quantity == 2)
        #expect(order.items[0].variationList.isEmpty)
        #expect(order.items[1].variationList["Size"] == "L")
        #expect(order.notes.isEmpty)
        #expect(order.shipments.first?.weight == 3.55)
        #expect(order.shipments.first?.orderID == "925086")
        #expect(order["x_unknown"] == ["kept": true])
        #expect(order.json["x_unknown"] == ["kept": true])
    }

    @Test func nonObjectsAreNotOrders() {
        #expect(Order(json: [1]) == nil)
        #expect(Order(json: "order") == nil)
    }

    @Test func inventoryItemsHaveIntegerIds() {
        let item = InventoryItem(fields: [
            "id": 2510, "name": "Shirt", "code": "3wolf-11", "price": 10, "stock": "48", "manufacturer_sku": nil,
            "metadata": [],
        ])
        #expect(item.id == 2510)
        #expect(item.stock == 48)
        #expect(item.manufacturerSKU == nil)
        #expect(item.metadata.isEmpty)
    }

    @Test func storeInfoParsesFoldersAndDropsSecrets() {
        let info = StoreInfo(store: [
            "id": "11", "name": "Test Store",
            "settings": [
                "timezone": "America/Los_Angeles", "api_key": "secret-key", "smtp_password": "pw",
                "smtp_username": "user", "smtp_host": "",
            ],
            "folders": ["21654": "New", "21655": "Prepared"],
        ])
        #expect(info.folders == [21654: "New", 21655: "Prepared"])
        #expect(info.folderID(named: "prepared") == 21655)
        #expect(info.settings["timezone"] == "America/Los_Angeles")
        #expect(info.settings["api_key"] == nil)
        #expect(info.settings["smtp_password"] == nil)
        #expect(info.settings["smtp_username"] == nil)
        #expect(info.settings["smtp_host"] == "")
        let empty = StoreInfo(store: ["folders": []])
        #expect(empty.folders.isEmpty)
        let listed = StoreInfo(store: ["folders": [["id": "5", "name": "New"]]])
        #expect(listed.folders == [5: "New"])
    }

    @Test func pagesKnowWhetherMoreFollow() {
        #expect(OrderPage(totalRecords: 120, recordsReturned: 50, offset: 50, limit: 50, orders: []).hasMore)
        #expect(!OrderPage(totalRecords: 120, recordsReturned: 20, offset: 100, limit: 50, orders: []).hasMore)
        #expect(!OrderPage(totalRecords: 0, recordsReturned: 0, offset: 0, limit: 50, orders: []).hasMore)
    }

    @Test func newShipmentsCarryTheirFields() {
        let shipment = NewShipment(
            trackingNumber: "1Z999", carrierCode: "UPS", weight: 2.5, additionalFields: ["label_format": "PDF"])
        #expect(
            shipment.json
                == ["tracking_number": "1Z999", "carrier_code": "UPS", "weight": 2.5, "label_format": "PDF"])
    }
}
