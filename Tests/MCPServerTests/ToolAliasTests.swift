import App
import JSON
import Testing

@testable import MCPServer

/// Extra tool names (`Tool.aliases`): accepted by `tools/call`, kept out of `tools/list`.
struct ToolAliasTests {
    @Test func theSeedsProductNamesReachTheInventoryTools() {
        let registry = ToolRegistry.standard
        #expect(registry.tool(named: "products_list")?.name == "inventory_items_list")
        #expect(registry.tool(named: "products_get")?.name == "inventory_items_get")
        #expect(registry.tool(named: "products.get")?.name == "inventory_items_get")
        #expect(registry.tool(named: "inventory.items_get")?.name == "inventory_items_get")
        #expect(registry.tool(named: "products_update_stock") == nil)
    }

    @Test func aliasesAreNotListed() {
        let registry = ToolRegistry.standard
        let listed = (registry.listing["tools"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        #expect(listed.contains("inventory_items_get"))
        #expect(!listed.contains("products_get") && !listed.contains("products_list"))
        #expect(Set(listed).count == registry.tools.count)
        let stateless = (registry.statelessTools.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        #expect(!stateless.contains("products_get"))
    }

    @Test func everyInventoryToolHasAStrictSchema() {
        for name in ["inventory_items_list", "inventory_items_get", "inventory_items_update_stock"] {
            let tool = ToolRegistry.standard.tool(named: name)
            #expect(tool?.inputSchema["additionalProperties"] == false, "\(name)")
            #expect(tool?.inputSchema["properties"]?["store"] != nil, "\(name)")
            #expect(tool?.outputSchema["type"] == "object", "\(name)")
        }
        #expect(ToolRegistry.standard.tool(named: "inventory_items_update_stock")?.requiredScope == .write)
        #expect(ToolRegistry.standard.tool(named: "inventory_items_get")?.requiredScope == .read)
    }
}
