import Foundation
import JSON

/// What one statement at the start of a tool call read for its tenant (`CallSnapshots.open`): the
/// session, the tenant's stores (all of them, or only the session's active one), and the cache entry
/// the call will read first, for each store it may choose.
///
/// The tools use it instead of asking again: `StoreSelection` and `StoreArgument` take the stores from
/// it, `OrderService.get` the cache lookup. Whatever it did not read, they read as before.
public struct CallSnapshot: Sendable {
    /// One listed store: its registration, how it matched the call's `store` argument (0 our uuid,
    /// 1 the OrderDesk store id, 2 the name, nil not at all), whether its cache entry was read, and
    /// the entry's value if there was a live one.
    struct Store: Sendable {
        let store: RegisteredStore
        let rank: Int?
        let probed: Bool
        let cached: JSONValue?
    }

    public let tenantID: UUID
    /// Whether a live session of this tenant (an active tenant) was found.
    let sessionFound: Bool
    let activeStoreID: UUID?
    let protocolVersion: String
    /// Every store of the tenant, in `StoreRegistry.list` order, or only the active store.
    let stores: [Store]
    let listedAllStores: Bool
    /// The `store` argument the ranks are for (trimmed), if any.
    let storeReference: String?
    let probe: CacheProbe?
    /// The database time before the cache was read, as `OrderCache.lookup` reports a miss.
    let checkedAt: String

    /// The session `id` as read, with its active store's registration; nil when no live session of
    /// this tenant has that id (unknown, expired, revoked, unbound, another tenant's, or a disabled
    /// tenant's): the caller then asks `SessionStore.find(id:)`.
    public func session(id: String) -> MCPSession? {
        guard sessionFound else { return nil }
        let active = stores.first { $0.store.id == activeStoreID }?.store
        return MCPSession(
            id: id, tenantID: tenantID, activeStoreID: activeStoreID, protocolVersion: protocolVersion,
            activeStore: active)
    }

    /// All of the tenant's stores, as `StoreRegistry.list` returns them; nil when only the active
    /// store was read.
    public var allStores: [RegisteredStore]? {
        listedAllStores ? stores.map(\.store) : nil
    }

    /// What `StoreRegistry.resolve(identifier)` answers, read with the snapshot; nil when the snapshot
    /// was not read for this identifier (then ask the registry).
    public func resolution(of identifier: String) -> StoreResolution? {
        guard listedAllStores, let reference = storeReference,
            reference == identifier.trimmingCharacters(in: .whitespacesAndNewlines)
        else { return nil }
        let ranked = stores.compactMap { entry in entry.rank.map { (store: entry.store, rank: $0) } }
        let best = ranked.min { $0.rank < $1.rank }
        return StoreResolution(match: best.map { ($0.store, $0.rank < 2 ? StoreMatch.id : .name) })
    }

    /// `probe`'s entry in `storeID`: nil when the snapshot did not read it, else the live entry's
    /// value, or nil inside when there was none (a miss).
    public func cacheLookup(storeID: UUID, probe: CacheProbe) -> JSONValue?? {
        guard probe == self.probe, let entry = stores.first(where: { $0.store.id == storeID }), entry.probed else {
            return nil
        }
        return .some(entry.cached)
    }

    /// The lookup `OrderCache.lookup` would answer for `probe` in `storeID`, if the snapshot read it.
    func lookup(tenantID: UUID, storeID: UUID, probe: CacheProbe) -> OrderCache.Lookup? {
        guard tenantID == self.tenantID, let found = cacheLookup(storeID: storeID, probe: probe) else { return nil }
        if let value = found { return .hit(value) }
        return .miss(since: checkedAt)
    }
}

/// The store an identifier names, or none (`match` nil).
public struct StoreResolution: Sendable {
    public let match: (store: RegisteredStore, matchedBy: StoreMatch)?
}
