import Cryptography
import Foundation
import JSON
import OrderDesk

extension OrderService {
    /// Creates an order in OrderDesk and returns it as stored.
    ///
    /// With an `idempotencyKey`, a retry with the same key and the same body (compared as SHA-256 of
    /// the canonical JSON, so member order does not matter) within `idempotencyTTL` returns the first
    /// result with `replayed: true` and calls nothing upstream; the same key with another body throws
    /// `OrderServiceError(.idempotencyMismatch)`. The key is reserved before OrderDesk is called, so a
    /// concurrent retry on any replica waits for the first request (up to `updateLockTimeout`, then
    /// `conflict` with `retryAfterSeconds`) instead of creating a second order. Keys are per store.
    /// A create that fails gives its key back, so it can be retried with the same key.
    ///
    /// Residual risk, documented: if a replica dies after OrderDesk created the order but before the
    /// result was stored, a retry after the reservation's lease creates the order again.
    public func create(
        tenantID: UUID, store: RegisteredStore, order: JSONValue, idempotencyKey: String?
    ) async throws -> (order: JSONValue, replayed: Bool) {
        guard let idempotencyKey else {
            return (try await createUpstream(tenantID: tenantID, store: store, order: order), false)
        }
        let keyHash = SHA256.hash(Array(idempotencyKey.utf8))
        let requestHash = SHA256.hash(Array(order.encoded()))
        var pauses = RetryPause(
            first: .milliseconds(10), cap: .milliseconds(250), deadline: .now + configuration.updateLockTimeout)
        while true {
            let reservation = try await idempotency.reserve(
                tenantID: tenantID, storeID: store.id, keyHash: keyHash, requestHash: requestHash)
            switch reservation {
            case .replay(let result):
                return (result, true)
            case .mismatch:
                throw OrderServiceError(
                    .idempotencyMismatch,
                    "This idempotency_key was already used for a different order in the last "
                        + "\(configuration.idempotencyTTL.components.seconds / 3600) hours. Send exactly the same order "
                        + "to get the first result, or use a new key for a new order.")
            case .reserved(let attempt):
                let created: JSONValue
                do {
                    created = try await createUpstream(tenantID: tenantID, store: store, order: order)
                } catch {
                    await releaseKey(tenantID: tenantID, storeID: store.id, keyHash: keyHash, attempt: attempt)
                    throw error
                }
                await storeResult(
                    tenantID: tenantID, storeID: store.id, keyHash: keyHash, attempt: attempt, order: created)
                return (created, false)
            case .inProgress:
                guard try await pauses.wait() else {
                    throw OrderServiceError(
                        .conflict,
                        "An order with this idempotency_key is still being created by an earlier request. "
                            + "Retry in a few seconds with the same key to get its result.",
                        retryAfterSeconds: 2)
                }
            }
        }
    }

    private func createUpstream(tenantID: UUID, store: RegisteredStore, order: JSONValue) async throws -> JSONValue {
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
        // Without a slot nothing is sent, so only a POST that went out invalidates.
        let created = try await upstreamSlots.withSlot(tenantID: tenantID) {
            do {
                return try await api.createOrder(order)
            } catch {
                // A create that timed out may still have happened: lists must not hide it.
                await self.invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: nil)
                throw error
            }
        }
        await invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: created.id)
        return created.json
    }

    /// Records the created order for replays. Retried once; if it still fails the order is returned
    /// anyway (it exists), and the reservation lapses with its lease.
    private func storeResult(tenantID: UUID, storeID: UUID, keyHash: [UInt8], attempt: UUID, order: JSONValue) async {
        for attemptNumber in 1...2 {
            do {
                let stored = try await idempotency.complete(
                    tenantID: tenantID, storeID: storeID, keyHash: keyHash, attempt: attempt, order: order,
                    orderID: order["id"]?.lenientString)
                if !stored {
                    logger.error("idempotency reservation was taken over before the create finished")
                }
                return
            } catch {
                logger.error(
                    "could not store the result of an idempotent create",
                    metadata: ["attempt": "\(attemptNumber)", "error": "\(error)"])
            }
        }
    }

    private func releaseKey(tenantID: UUID, storeID: UUID, keyHash: [UInt8], attempt: UUID) async {
        do {
            try await idempotency.release(tenantID: tenantID, storeID: storeID, keyHash: keyHash, attempt: attempt)
        } catch {
            // The reservation then lapses with its lease; retries wait until then.
            logger.error("could not release an idempotency key after a failed create", metadata: ["error": "\(error)"])
        }
    }
}
