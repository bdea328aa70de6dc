import Testing

@testable import OrderDesk

@Suite struct OrderQueryTests {
    @Test func everyFilterBecomesItsOrderDeskParameter() throws {
        let query = OrderQuery(
            folderIDs: [1004, 1009], sourceID: "1042", sourceName: "Shopify", searchStartDate: "2025-04-01",
            searchEndDate: "2025-04-30 23:59:59", searchStartDateLocal: "2025-04-01", searchEndDateLocal: "2025-04-02",
            modifiedStartDate: "2025-04-10", modifiedEndDate: "2025-04-11 10:00:00", email: "jane@example.com",
            customerID: "8173875", customerFirstName: "Jane", customerLastName: "Dean", customerCompany: "Acme",
            customerAddress1: "900 Lord", customerPhone: "615", shippingFirstName: "Jimmy", shippingLastName: "Dean",
            shippingCompany: "Co", shippingAddress1: "800 Emmet", shippingPhone: "555", includeHistory: true,
            orderBy: "shipping_last_name", order: .ascending, limit: 500, offset: 1000)
        let items = Dictionary(uniqueKeysWithValues: try query.queryItems().map { ($0.name, $0.value) })
        #expect(items["folder_id"] == "1004,1009")
        #expect(items["source_id"] == "1042")
        #expect(items["source_name"] == "Shopify")
        #expect(items["search_start_date"] == "2025-04-01")
        #expect(items["search_end_date"] == "2025-04-30 23:59:59")
        #expect(items["search_start_date_local"] == "2025-04-01")
        #expect(items["search_end_date_local"] == "2025-04-02")
        #expect(items["modified_start_date"] == "2025-04-10")
        #expect(items["modified_end_date"] == "2025-04-11 10:00:00")
        #expect(items["email"] == "jane@example.com")
        #expect(items["customer_id"] == "8173875")
        #expect(items["customer_first_name"] == "Jane")
        #expect(items["customer_last_name"] == "Dean")
        #expect(items["customer_company"] == "Acme")
        #expect(items["customer_address1"] == "900 Lord")
        #expect(items["customer_phone"] == "615")
        #expect(items["shipping_first_name"] == "Jimmy")
        #expect(items["shipping_last_name"] == "Dean")
        #expect(items["shipping_company"] == "Co")
        #expect(items["shipping_address1"] == "800 Emmet")
        #expect(items["shipping_phone"] == "555")
        #expect(items["get_order_history"] == "1")
        #expect(items["order_by"] == "shipping_last_name")
        #expect(items["order"] == "ASC")
        #expect(items["limit"] == "500")
        #expect(items["offset"] == "1000")
        #expect(items.count == 26)
    }

    @Test func anEmptyQuerySendsNothing() throws {
        #expect(try OrderQuery().queryItems().isEmpty)
        #expect(try OrderQuery(folderName: "New").queryItems().map(\.name) == ["folder_name"])
    }

    @Test(arguments: [
        OrderQuery(limit: 0), OrderQuery(limit: 501), OrderQuery(offset: -1), OrderQuery(orderBy: "date_added; DROP"),
        OrderQuery(folderIDs: [1], folderName: "New"), OrderQuery(searchStartDate: "15/04/2025"),
        OrderQuery(modifiedEndDate: "2025-04-15T10:00:00"),
    ])
    func invalidQueriesAreRefusedBeforeSending(_ query: OrderQuery) {
        let error = #expect(throws: OrderDeskError.self) { try query.queryItems() }
        #expect(error?.code == .validation)
    }

    @Test func urlsArePercentEncoded() {
        let request = UpstreamRequest(
            method: .get, path: ["orders", "a/b c"],
            query: [
                .init(name: "email", value: "jane+test@example.com"), .init(name: "customer_last_name", value: "O'Dean & Co"),
            ],
            subject: "x")
        #expect(
            request.url(base: "http://h/api/v2")
                == "http://h/api/v2/orders/a%2Fb%20c?email=jane%2Btest%40example.com&customer_last_name=O%27Dean%20%26%20Co")
    }

    @Test func inventoryQueriesJoinCodes() throws {
        let items = try InventoryQuery(codes: ["a", "b"], search: "shirt", limit: 10, offset: 20).queryItems()
        #expect(items.map(\.name) == ["code", "search", "limit", "offset"])
        #expect(items[0].value == "a,b")
        #expect(throws: OrderDeskError.self) { try InventoryQuery(limit: 600).queryItems() }
    }
}
