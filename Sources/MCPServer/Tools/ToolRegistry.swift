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
        var restricted: [Restriction: (listing: JSONValue, stateless: JSONValue)] = [:]
        for restriction in Restriction.allCases {
            let available = tools.filter(restriction.admits)
            restricted[restriction] = (
                ["tools": .array(available.map(\.listing))], .array(available.filter { !$0.needsSession }.map(\.listing))
            )
        }
        restrictedLists = restricted
    }

    public func tool(named name: String) -> (any Tool)? { byName[name] }

    /// The session's `tools/list` for this caller: a read-only key, or a key limited to some stores,
    /// sees only the tools it may call (`Tool.isAvailable(to:)`); anyone else (a key that may write
    /// to every store, or nobody yet) sees them all.
    func listing(for caller: TenantPrincipal?) -> JSONValue {
        Restriction(caller).flatMap { restrictedLists[$0]?.listing } ?? listing
    }

    /// 2026-07-28's tools for this caller, and whether the list is the caller's own (`cacheScope:
    /// "private"`: a read-only or store-limited key's) or the one everybody gets (`"public"`).
    func statelessTools(for caller: TenantPrincipal?) -> (tools: JSONValue, isPrivate: Bool) {
        guard let restriction = Restriction(caller), let lists = restrictedLists[restriction] else {
            return (statelessTools, false)
        }
        return (lists.stateless, true)
    }

    /// The ways a key can be narrower than "everything": each has its own fixed tool list.
    private enum Restriction: CaseIterable {
        case readOnly
        case storeLimited
        case readOnlyStoreLimited

        /// nil for a caller who sees every tool.
        init?(_ caller: TenantPrincipal?) {
            guard let caller else { return nil }
            switch (!caller.allows(.write), !caller.mayManageStores) {
            case (false, false): return nil
            case (true, false): self = .readOnly
            case (false, true): self = .storeLimited
            case (true, true): self = .readOnlyStoreLimited
            }
        }

        func admits(_ tool: any Tool) -> Bool {
            switch self {
            case .readOnly: tool.requiredScope == .read
            case .storeLimited: !tool.managesStores
            case .readOnlyStoreLimited: tool.requiredScope == .read && !tool.managesStores
            }
        }
    }

    /// `tools/list` of a session (legacy revisions): every tool, in this fixed order.
    let listing: JSONValue
    /// `tools/list`'s tools in 2026-07-28: the same order, without the session-only tools.
    let statelessTools: JSONValue
    /// The same two lists for each kind of narrower key: only the tools it may call.
    private let restrictedLists: [Restriction: (listing: JSONValue, stateless: JSONValue)]

    /// Every tool: tenant authentication, store management, orders, inventory.
    public static let standard = ToolRegistry(tools: [
        UseMasterKeyTool(), StoresRegisterTool(), StoresListTool(), StoresUseStoreTool(), StoresResolveTool(),
        StoresDeleteTool(), OrdersGetTool(), OrdersListTool(), OrdersCreateTool(), OrdersUpdateTool(), OrdersDeleteTool(),
        StoreFoldersListTool(), OrdersMoveTool(), OrdersAddNoteTool(),
        ShipmentsListTool(), ShipmentsAddTool(), ShipmentsDeleteTool(),
        InventoryItemsListTool(), InventoryItemsGetTool(), InventoryItemsUpdateStockTool(),
    ])
}
