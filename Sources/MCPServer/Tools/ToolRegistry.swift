import App
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
        let readable = tools.filter { $0.requiredScope == .read }
        readOnlyListing = ["tools": .array(readable.map(\.listing))]
        readOnlyStatelessTools = .array(readable.filter { !$0.needsSession }.map(\.listing))
    }

    public func tool(named name: String) -> (any Tool)? { byName[name] }

    /// The session's `tools/list` for this caller: a read-only key sees only the tools it may call;
    /// anyone else (a key that may write, or nobody yet) sees them all.
    func listing(for caller: TenantPrincipal?) -> JSONValue {
        Self.readsOnly(caller) ? readOnlyListing : listing
    }

    /// 2026-07-28's tools for this caller, and whether the list is the caller's own (`cacheScope:
    /// "private"`: a read-only key's) or the one everybody gets (`"public"`).
    func statelessTools(for caller: TenantPrincipal?) -> (tools: JSONValue, isPrivate: Bool) {
        Self.readsOnly(caller) ? (readOnlyStatelessTools, true) : (statelessTools, false)
    }

    private static func readsOnly(_ caller: TenantPrincipal?) -> Bool {
        guard let caller else { return false }
        return !caller.allows(.write)
    }

    /// `tools/list` of a session (legacy revisions): every tool, in this fixed order.
    let listing: JSONValue
    /// `tools/list`'s tools in 2026-07-28: the same order, without the session-only tools.
    let statelessTools: JSONValue
    /// The same two lists for a read-only key: only the tools it may call.
    private let readOnlyListing: JSONValue
    private let readOnlyStatelessTools: JSONValue

    /// Every tool: tenant authentication, store management, orders, inventory.
    public static let standard = ToolRegistry(tools: [
        UseMasterKeyTool(), StoresRegisterTool(), StoresListTool(), StoresUseStoreTool(), StoresResolveTool(),
        StoresDeleteTool(), OrdersGetTool(), OrdersListTool(), OrdersCreateTool(), OrdersUpdateTool(), OrdersDeleteTool(),
        StoreFoldersListTool(), OrdersMoveTool(), OrdersAddNoteTool(),
        ShipmentsListTool(), ShipmentsAddTool(), ShipmentsDeleteTool(),
        InventoryItemsListTool(), InventoryItemsGetTool(), InventoryItemsUpdateStockTool(),
    ])
}
