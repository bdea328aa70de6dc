import Foundation
import JSON
import OrderDesk

extension OrderService {
    /// Changes some fields of an order safely and returns the order as OrderDesk stored it.
    ///
    /// `StoreAPI.updateOrder` does the work (fetch → `OrderMerge` → PUT of the whole order, re-fetching
    /// and re-merging on HTTP 409). Around it, this holds the update lease of tenant + store + order
    /// (`OrderUpdateLeases`), so concurrent updates of one order from any replica run one after the
    /// other and none loses another's change; the lease is confirmed right before each PUT, and no
    /// database connection is held while OrderDesk answers. Two bucket tokens are taken first (the GET
    /// and the PUT; conflict retries take none); the upstream calls run in one of the tenant's slots,
    /// taken once the lease is held, so waiting for another update of the order holds no slot.
    ///
    /// - Throws: `OrderServiceError(.conflict)` with `currentDateUpdated` when `expectedDateUpdated`
    ///   does not match (no PUT is sent), or with `retryAfterSeconds` when another update held the
    ///   order past `updateLockTimeout` or took it over while OrderDesk was too slow (nothing
    ///   written); `OrderServiceError(.rateLimited)` when the tenant's upstream slots stayed busy;
    ///   `OrderDeskError` as the client threw it.
    public func update(
        tenantID: UUID, store: RegisteredStore, orderID: String, changes: JSONValue, expectedDateUpdated: String?
    ) async throws -> JSONValue {
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 2)
        let (upstreamSlots, timeout) = (self.upstreamSlots, configuration.updateLockTimeout)
        let updated: Order
        do {
            updated = try await updateLeases.withLease(
                tenantID: tenantID, storeID: store.id, orderID: orderID, timeout: timeout
            ) { lease in
                try await upstreamSlots.withSlot(tenantID: tenantID) {
                    // Write only while the lease is still ours: OrderDesk may have been slow enough for
                    // it to expire and another update to take the order.
                    try await api.updateOrder(
                        orderID, changes: changes, expectedDateUpdated: expectedDateUpdated,
                        beforeWrite: { try await lease.confirm() })
                }
            }
        } catch let error as OrderServiceError {
            // No lease, no slot, or the lease was lost before a PUT: nothing was written (a PUT that
            // came before a lost lease was answered 409, i.e. refused).
            throw error
        } catch let error as OrderDeskError where error.isDateUpdatedMismatch && expectedDateUpdated != nil {
            // Nothing was sent, but our cached copy is evidently older than OrderDesk's.
            await invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
            throw OrderServiceError(.conflict, error.message, currentDateUpdated: error.currentDateUpdated)
        } catch {
            // The PUT may have been applied even though the call failed.
            await invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
            throw error
        }
        await invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
        return updated.json
    }

    /// Deletes an order in OrderDesk, then invalidates its cache entry and every list of the store.
    public func delete(tenantID: UUID, store: RegisteredStore, orderID: String) async throws {
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
        // Without a slot nothing is sent, so only a DELETE that went out invalidates.
        try await upstreamSlots.withSlot(tenantID: tenantID) {
            do {
                try await api.deleteOrder(orderID)
            } catch {
                // The DELETE may have been applied even though the call failed.
                await self.invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
                throw error
            }
        }
        await invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
    }
}

extension OrderDeskError {
    /// `updateOrder`'s refusal because `expectedDateUpdated` did not match: a conflict raised before
    /// anything was sent, so without an HTTP status (an exhausted 409 retry carries status 409).
    var isDateUpdatedMismatch: Bool { code == .conflict && httpStatus == nil }
}
