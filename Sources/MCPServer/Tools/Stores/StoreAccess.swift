import App
import JSON

/// The one place that applies a key's store limit (`TenantPrincipal.storeIDs`): every store a tool
/// selects passes `check`, and every list of stores a tool shows passes `visible`. A key limited to
/// some stores sees only those, and selecting another (by uuid handle, OrderDesk store id, name, or
/// as a session's active store chosen with another key) is `store_not_allowed`.
enum StoreAccess {
    /// `store`, if the caller's key may use it; else `store_not_allowed` naming the stores it may use.
    @discardableResult
    static func check(_ store: RegisteredStore, context: ToolContext) throws -> RegisteredStore {
        guard let principal = context.principal, let allowed = principal.storeIDs, !allowed.contains(store.storeID) else {
            return store
        }
        let ids = allowed.sorted { ($0.count, $0) < ($1.count, $1) }
        throw MCPError(
            .storeNotAllowed,
            "This master key is limited to the stores with OrderDesk store id \(ids.joined(separator: ", ")); "
                + "store \(store.storeID) is not one of them.",
            details: ["allowed_store_ids": .array(ids.map(JSONValue.string))])
    }

    /// The stores of `stores` that `principal`'s key may use, in the same order.
    static func visible(_ stores: [RegisteredStore], to principal: TenantPrincipal?) -> [RegisteredStore] {
        guard let principal, principal.isStoreRestricted else { return stores }
        return stores.filter { principal.allowsStore($0.storeID) }
    }

    /// The tenant's stores the caller's key may use, by name.
    static func list(context: ToolContext) async throws -> [RegisteredStore] {
        visible(try await context.services.stores.list(tenantID: try context.tenantID()), to: context.principal)
    }
}
