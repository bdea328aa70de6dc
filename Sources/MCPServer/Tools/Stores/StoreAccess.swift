import App
import Foundation
import JSON

/// The one place that applies a key's store limit (`TenantPrincipal.storeIDs`): every store a tool
/// selects is among `list` (`StoreArgument.resolve`) or passes `checkActive`, and every list of
/// stores a tool shows passes `visible`. A key limited to some stores sees only those: selecting
/// another by uuid handle, OrderDesk store id or name is `not_found`, exactly as for a store that
/// does not exist, so the key learns nothing of it. Only a session's active store chosen earlier with
/// another key is `store_not_allowed`: the caller chose it and knows it.
enum StoreAccess {
    /// Whether `principal`'s key may use `store`.
    static func allows(_ store: RegisteredStore, to principal: TenantPrincipal?) -> Bool {
        principal?.allowsStore(store.storeID) ?? true
    }

    /// The session's active `store`, if the caller's key may use it; else `store_not_allowed`
    /// naming the stores it may use (never the active store's OrderDesk id).
    @discardableResult
    static func checkActive(_ store: RegisteredStore, context: ToolContext) throws -> RegisteredStore {
        guard let principal = context.principal, let allowed = principal.storeIDs, !allowed.contains(store.storeID) else {
            return store
        }
        let ids = allowed.sorted { ($0.count, $0) < ($1.count, $1) }
        throw MCPError(
            .storeNotAllowed,
            "This session's active store was chosen with another master key and this one may not use it: it is "
                + "limited to the stores with OrderDesk store id \(ids.joined(separator: ", ")). "
                + "Pass `store` or call stores_use_store with one of them.",
            details: ["allowed_store_ids": .array(ids.map(JSONValue.string))])
    }

    /// The stores of `stores` that `principal`'s key may use, in the same order.
    static func visible(_ stores: [RegisteredStore], to principal: TenantPrincipal?) -> [RegisteredStore] {
        guard let principal, principal.isStoreRestricted else { return stores }
        return stores.filter { principal.allowsStore($0.storeID) }
    }

    /// The tenant's stores the caller's key may use, by name.
    static func list(context: ToolContext) async throws -> [RegisteredStore] {
        visible(try await all(context: context), to: context.principal)
    }

    /// Every store of the caller's tenant: as the call's opening statement read them, else from the
    /// registry.
    static func all(context: ToolContext) async throws -> [RegisteredStore] {
        let tenant = try context.tenantID()
        if let snapshot = context.snapshot, snapshot.tenantID == tenant, let stores = snapshot.allStores { return stores }
        return try await context.services.stores.list(tenantID: tenant)
    }

    /// The store of `stores` that `identifier` names, ranked as `StoreRegistry.resolve` ranks them:
    /// our uuid, else the OrderDesk store id (exact), else the name (ignoring case).
    static func match(_ identifier: String, among stores: [RegisteredStore]) -> (RegisteredStore, StoreMatch)? {
        let identifier = identifier.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !identifier.isEmpty, identifier.unicodeScalars.count <= 200 else { return nil }
        if let uuid = UUID(uuidString: identifier), let store = stores.first(where: { $0.id == uuid }) {
            return (store, .id)
        }
        if let store = stores.first(where: { $0.storeID == identifier }) { return (store, .id) }
        let name = identifier.lowercased()
        if let store = stores.first(where: { $0.name.lowercased() == name }) { return (store, .name) }
        return nil
    }
}
