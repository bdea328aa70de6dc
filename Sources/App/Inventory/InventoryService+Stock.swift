import Foundation
import JSON
import OrderDesk

extension InventoryService {
    /// Sets or adjusts one item's stock and returns the item as OrderDesk stored it.
    ///
    /// Fetch → change `stock` → PUT of the whole item (OrderDesk blanks any field a PUT leaves out),
    /// while holding the item's update lease, so concurrent changes of one item from any replica run
    /// one after the other and none is lost (two `+1`s make `+2`). The lease is confirmed right before
    /// the PUT, and no database connection is held while OrderDesk answers. Tokens are taken first:
    /// the GET and the PUT, plus one for the SKU lookup when the item is named by code.
    ///
    /// - Throws: `OrderServiceError(.validation)` when the change would leave a negative stock
    ///   (nothing is written), `.notFound` for an unknown SKU, `.conflict` when another change held
    ///   the item past `updateLockTimeout` or took it over; `OrderDeskError` as the client threw it.
    public func updateStock(
        tenantID: UUID, store: RegisteredStore, item: InventoryItemReference, change: StockChange
    ) async throws -> StockUpdate {
        if case .set(let stock) = change, stock < 0 {
            throw OrderServiceError(.validation, "stock must be 0 or more; nothing was written.")
        }
        let lookups: Double = if case .code = item { 1 } else { 0 }
        let api = try await orders.upstream(tenantID: tenantID, store: store, tokens: 2 + lookups)
        let upstreamSlots = orders.upstreamSlots
        let itemID: Int64
        switch item {
        case .id(let id):
            itemID = id
        case .code(let code):
            let found = try await upstreamSlots.withSlot(tenantID: tenantID) { try await Self.find(code: code, api: api) }
            guard let id = found.id else {
                throw OrderServiceError(.notFound, "OrderDesk returned the item with code \"\(code)\" without an id.")
            }
            itemID = id
        }
        let update: StockUpdate
        do {
            update = try await orders.updateLeases.withLease(
                tenantID: tenantID, storeID: store.id, subject: .inventoryItem(itemID),
                timeout: orders.configuration.updateLockTimeout
            ) { lease in
                try await upstreamSlots.withSlot(tenantID: tenantID) {
                    let current = try await api.getInventoryItem(itemID)
                    let before = current.stock ?? 0
                    let after = try change.applied(to: before, item: "Inventory item \(itemID) (\(current.code ?? "no code"))")
                    var fields = current.fields
                    fields["stock"] = .int(after)
                    // Write only while the lease is still ours: OrderDesk may have been slow enough for
                    // it to expire and another change to take the item.
                    try await lease.confirm()
                    let stored =
                        try await api.replaceInventoryItem(itemID, with: .object(fields)) ?? InventoryItem(fields: fields)
                    return StockUpdate(item: stored.json, previousStock: before, stock: stored.stock ?? after)
                }
            }
        } catch let error as OrderServiceError {
            // No lease, no slot, a refused change, or the lease was lost before the PUT: nothing was written.
            throw error
        } catch {
            // The PUT may have been applied even though the call failed.
            await orders.invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: nil)
            throw error
        }
        await orders.invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: nil)
        return update
    }
}
