import Foundation
import JSON
import OrderDesk

/// Reads and changes a store's OrderDesk inventory items with the machinery of `OrderService`: the
/// same store bucket (one token per OrderDesk call), the tenant's upstream slots, the shared cache
/// and the update leases.
///
/// - `list` is read-through cached for `listTTL` in the store's list scope (see `InventoryListKey`),
///   so it is dropped with the store's order lists after any write of the store.
/// - `get` always asks OrderDesk: a stock level is what a caller acts on.
/// - `updateStock` is serialized per item across replicas (`OrderUpdateLeases.Subject.inventoryItem`)
///   and writes the whole item back (OrderDesk has no partial update).
///
/// Errors: `OrderServiceError` (`.notFound` for an unknown SKU, `.validation` for a change that
/// would leave a negative stock, `.conflict`/`.rateLimited` as for orders); `OrderDeskError` as the
/// client threw it (`.notFound` for an unknown id); `StoreError`; `PostgresError`.
public struct InventoryService: Sendable {
    let orders: OrderService

    /// One page of inventory items, through the cache. Returns `{"inventory_items", "total_records",
    /// "records_returned", "offset", "limit", "has_more", "next_offset"}` and whether it was cached.
    public func list(
        tenantID: UUID, store: RegisteredStore, query: InventoryQuery
    ) async throws -> (page: JSONValue, cached: Bool) {
        try Self.requireLookupCodes(query.codes ?? [])
        let ttl = orders.configuration.listTTL
        guard ttl > .zero else { return (try await fetchList(tenantID: tenantID, store: store, query: query), false) }
        let key = InventoryListKey.key(for: query)
        switch try await orders.cache.lookup(tenantID: tenantID, storeID: store.id, scope: .orderList, key: key) {
        case .hit(let page):
            return (page, true)
        case .miss(let since):
            let page = try await fetchList(tenantID: tenantID, store: store, query: query)
            await orders.fill(
                tenantID: tenantID, storeID: store.id, scope: .orderList, key: key, value: page, ttl: ttl, since: since)
            return (page, false)
        }
    }

    /// One item, fresh from OrderDesk (one upstream call either way: by id a GET of the item, by
    /// code a list filtered by that SKU).
    public func get(tenantID: UUID, store: RegisteredStore, item: InventoryItemReference) async throws -> JSONValue {
        let api = try await orders.upstream(tenantID: tenantID, store: store, tokens: 1)
        return try await orders.upstreamSlots.withSlot(tenantID: tenantID) {
            switch item {
            case .id(let id): try await api.getInventoryItem(id).json
            case .code(let code): try await Self.find(code: code, api: api).json
            }
        }
    }

    private func fetchList(tenantID: UUID, store: RegisteredStore, query: InventoryQuery) async throws -> JSONValue {
        let api = try await orders.upstream(tenantID: tenantID, store: store, tokens: 1)
        let page = try await orders.upstreamSlots.withSlot(tenantID: tenantID) { try await api.listInventoryItems(query) }
        return page.listJSON(offset: query.offset ?? 0, limit: query.limit ?? 50)  // OrderDesk's default page size
    }

    /// The item whose SKU is `code`: the exact match, else the only case-insensitive one.
    static func find(code: String, api: StoreAPI) async throws -> InventoryItem {
        try requireLookupCodes([code])
        let candidates = try await api.listInventoryItems(InventoryQuery(codes: [code], limit: 10)).items
        if let exact = candidates.first(where: { $0.code == code }) { return exact }
        let folded = candidates.filter { $0.code?.caseInsensitiveCompare(code) == .orderedSame }
        guard folded.count == 1 else {
            throw OrderServiceError(
                .notFound,
                "No inventory item has the code (SKU) \"\(code.prefix(100))\". Search with inventory_items_list "
                    + "(`search` matches part of a name or code).")
        }
        return folded[0]
    }

    /// OrderDesk's `code` filter is a comma-separated list, so a SKU holding a comma cannot be looked up.
    static func requireLookupCodes(_ codes: [String]) throws {
        if codes.contains(where: { $0.isEmpty || $0.contains(",") }) {
            throw OrderServiceError(
                .validation,
                "A code (SKU) to look up must be non-empty and contain no comma (OrderDesk's code filter is a "
                    + "comma-separated list); use `search` instead.")
        }
    }
}

extension OrderService {
    /// The store's inventory items, through this service's bucket, slots, cache and leases.
    public var inventory: InventoryService { InventoryService(orders: self) }
}

extension InventoryPage {
    /// The shape `inventory_items_list` returns and the cache stores, paginated like `orders_list`.
    func listJSON(offset: Int, limit: Int) -> JSONValue {
        Pagination.json(
            itemsKey: "inventory_items", items: items.map(\.json), totalRecords: totalRecords,
            recordsReturned: recordsReturned, offset: offset, limit: limit)
    }
}
