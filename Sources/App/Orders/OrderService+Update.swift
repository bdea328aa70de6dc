import Foundation
import JSON
import OrderDesk
import Postgres

extension OrderService {
    /// Changes some fields of an order safely and returns the order as OrderDesk stored it.
    ///
    /// `StoreAPI.updateOrder` does the work (fetch → `OrderMerge` → PUT of the whole order, re-fetching
    /// and re-merging on HTTP 409). Around it, this holds the advisory lock of tenant + store + order,
    /// so concurrent updates of one order from any replica run one after the other and none loses
    /// another's change; the lock is held only for those upstream calls. Two bucket tokens are taken
    /// first (the GET and the PUT; conflict retries take none).
    ///
    /// - Throws: `OrderServiceError(.conflict)` with `currentDateUpdated` when `expectedDateUpdated`
    ///   does not match (no PUT is sent), or when another update held the order past
    ///   `updateLockTimeout` (`retryAfterSeconds` set); `OrderDeskError` as the client threw it.
    public func update(
        tenantID: UUID, store: RegisteredStore, orderID: String, changes: JSONValue, expectedDateUpdated: String?
    ) async throws -> JSONValue {
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 2)
        let lockKey = OrderLockKeys.update(tenantID: tenantID, storeID: store.id, orderID: orderID)
        let updated: Order
        do {
            updated = try await database.withAdvisoryLock(key: lockKey, timeout: configuration.updateLockTimeout) {
                (lock: HeldAdvisoryLock) in
                // A database restart ends the lock while we talk to OrderDesk; another update may
                // then be running: write only while the lock is still ours.
                try await api.updateOrder(
                    orderID, changes: changes, expectedDateUpdated: expectedDateUpdated, beforeWrite: { try await lock.confirm() }
                )
            }
        } catch let error as PostgresError where error.isLockNotAvailable {
            throw OrderServiceError(
                .conflict,
                "Order \(orderID) is being changed by another request that has not finished yet. Try again in a few "
                    + "seconds.", retryAfterSeconds: 2)
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
        do {
            try await api.deleteOrder(orderID)
        } catch {
            await invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
            throw error
        }
        await invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
    }
}

extension OrderDeskError {
    /// `updateOrder`'s refusal because `expectedDateUpdated` did not match: a conflict raised before
    /// anything was sent, so without an HTTP status (an exhausted 409 retry carries status 409).
    var isDateUpdatedMismatch: Bool { code == .conflict && httpStatus == nil }
}
