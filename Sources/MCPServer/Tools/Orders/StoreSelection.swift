import App
import JSON

/// Which store an order tool works on: the `store` argument, else the session's active store
/// (legacy revisions only: 2026-07-28 has no session), else the tenant's only store (for a key
/// limited to some stores: the only one it may use), else `no_active_store` listing the choices.
/// A `store` outside the key's limit is `not_found`; an active store outside it (chosen with another
/// key) is `store_not_allowed` (`StoreAccess`).
enum StoreSelection {
    static func store(for arguments: ToolArguments, context: ToolContext) async throws -> RegisteredStore {
        let store = try await choose(for: arguments, context: context)
        context.callAudit.store(store.storeID)
        return store
    }

    private static func choose(for arguments: ToolArguments, context: ToolContext) async throws -> RegisteredStore {
        if let identifier = arguments.string("store") {
            return try await StoreArgument.resolve(identifier, context: context).0
        }
        let tenant = try context.tenantID()
        // Read with the session at the start of this request, in the tenant's transaction. It may
        // have been chosen with another key of the tenant, so this key's store limit applies.
        if let session = context.session, let active = session.activeStore, session.tenantID == tenant {
            return try StoreAccess.checkActive(active, context: context)
        }
        let all = try await StoreAccess.all(context: context)
        if let active = context.session?.activeStoreID, let store = all.first(where: { $0.id == active }) {
            return try StoreAccess.checkActive(store, context: context)
        }
        // For a key limited to some stores, "the only store" is the only one it may use.
        let stores = StoreAccess.visible(all, to: context.principal)
        if stores.count == 1 { return stores[0] }
        let names = stores.map(\.name).joined(separator: ", ")
        throw MCPError(
            .noActiveStore,
            stores.isEmpty
                ? all.isEmpty
                    ? "This tenant has no stores yet: register one with stores_register."
                    : "None of the stores this master key is limited to is registered any more."
                : context.session == nil
                    ? "Several stores are registered: pass `store` (a store id, OrderDesk store id or name) with one of: "
                        + names + "."
                    : "Several stores are registered and none is active: pass `store` or call stores_use_store with one of: "
                        + names + ".",
            details: ["stores": .array(stores.map(\.json))])
    }
}

/// Schema pieces shared by the order tools.
enum OrderSchemas {
    static let orderID: JSONValue = [
        "type": "string", "minLength": 1, "maxLength": 30, "description": "The OrderDesk order id.",
    ]
    static let order: JSONValue = [
        "type": "object", "description": "An OrderDesk order object (fields as in the OrderDesk API v2).",
    ]
    static let storeJSON: JSONValue = RegisteredStore.schema
    /// The result of a tool that changes one order: the order as OrderDesk now has it, and the store.
    static let changedOrder: JSONValue = [
        "type": "object", "required": ["order", "store"], "properties": ["order": order, "store": storeJSON],
    ]
}
