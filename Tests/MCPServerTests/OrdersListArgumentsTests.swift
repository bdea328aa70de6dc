import Testing

@testable import MCPServer

@Suite struct OrdersListArgumentsTests {
    @Test func everyOrderToolIsRegisteredWithItsScope() {
        let registry = ToolRegistry.standard
        for name in ["orders_get", "orders_list"] {
            #expect(registry.tool(named: name)?.requiredScope == .read, "\(name)")
        }
        for name in ["orders_create", "orders_update", "orders_delete"] {
            #expect(registry.tool(named: name)?.requiredScope == .write, "\(name)")
        }
        #expect(registry.tool(named: "orders.get")?.name == "orders_get")
        #expect(registry.tool(named: "orders_delete")?.annotations.destructive == true)
    }

    @Test func listSchemaOffersEveryFilterAndNothingElse() {
        let properties = OrdersListTool().inputSchema["properties"]?.objectValue ?? [:]
        for (name, _, _) in OrdersListTool.textFilters { #expect(properties[name] != nil, "\(name)") }
        for (name, _) in OrdersListTool.dateFilters { #expect(properties[name] != nil, "\(name)") }
        #expect(properties.count == OrdersListTool.textFilters.count + OrdersListTool.dateFilters.count + 6)
    }
}

@Suite struct OrdersCreateArgumentsTests {
    @Test func aFullNameOrACompanyOnEitherAddressIsEnough() {
        #expect(OrdersCreateTool.hasFullNameOrCompany(["shipping": ["first_name": "Ann", "last_name": "Lee"]]))
        #expect(OrdersCreateTool.hasFullNameOrCompany(["customer": ["company": "Acme"]]))
        #expect(OrdersCreateTool.hasFullNameOrCompany(["customer": ["first_name": "Ann", "last_name": "Lee"]]))
    }

    @Test func aHalfNameOrNothingIsNot() {
        #expect(!OrdersCreateTool.hasFullNameOrCompany(["shipping": ["first_name": "Ann"]]))
        #expect(!OrdersCreateTool.hasFullNameOrCompany(["customer": ["last_name": "Lee", "company": " "]]))
        #expect(!OrdersCreateTool.hasFullNameOrCompany(["email": "a@b.c"]))
    }
}
