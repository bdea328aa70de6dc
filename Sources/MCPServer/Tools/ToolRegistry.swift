import JSON

/// The tools this server offers, by name, by extra alias (`Tool.aliases`, e.g. `products_get`) and
/// by the dotted form of each (`stores.list` for `stores_list`). Only names appear in `tools/list`.
public struct ToolRegistry: Sendable {
    public let tools: [any Tool]
    private let byName: [String: any Tool]

    public init(tools: [any Tool]) {
        self.tools = tools
        var byName: [String: any Tool] = [:]
        for tool in tools {
            for name in [tool.name] + tool.aliases {
                precondition(byName[name] == nil, "two tools answer to \(name)")
                byName[name] = tool
                if let underscore = name.firstIndex(of: "_") {
                    var dotted = name
                    dotted.replaceSubrange(underscore...underscore, with: ".")
                    byName[dotted] = tool
                }
            }
        }
        self.byName = byName
        listing = ["tools": .array(tools.map(\.listing))]
        statelessTools = .array(tools.filter { !$0.needsSession }.map(\.listing))
    }

    public func tool(named name: String) -> (any Tool)? { byName[name] }

    /// `tools/list` of a session (legacy revisions): every tool, in this fixed order.
    let listing: JSONValue
    /// `tools/list`'s tools in 2026-07-28: the same order, without the session-only tools. The same
    /// for every caller, so it may be cached publicly.
    let statelessTools: JSONValue

    /// Every tool: tenant authentication, store management, orders, inventory.
    public static let standard = ToolRegistry(tools: [
        UseMasterKeyTool(), StoresRegisterTool(), StoresListTool(), StoresUseStoreTool(), StoresResolveTool(),
        StoresDeleteTool(), OrdersGetTool(), OrdersListTool(), OrdersCreateTool(), OrdersUpdateTool(), OrdersDeleteTool(),
        InventoryItemsListTool(), InventoryItemsGetTool(), InventoryItemsUpdateStockTool(),
    ])
}
