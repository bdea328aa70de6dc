import Foundation
import Synchronization

/// At most `limit` OrderDesk calls of one tenant in flight at once in this process, so that a tenant
/// whose OrderDesk answers slowly (or not at all) cannot take every transfer thread of the shared
/// client (`ORDERDESK_MAX_CONNECTIONS`) and leave the other tenants' calls waiting behind it.
///
/// A call beyond the limit waits for a slot of its own tenant, holding no thread; waiters are served
/// first come, first served. A wait longer than `maxWait` fails with `OrderServiceError(.rateLimited)`,
/// and a cancelled waiter leaves the queue at once. The limit is per replica (N replicas allow a
/// tenant N × `limit` calls): it protects this process's threads; the per-store upstream bucket is
/// what bounds a store's rate across replicas.
final class TenantUpstreamSlots: Sendable {
    let limit: Int
    let maxWait: Duration
    private let state = Mutex(State())

    private struct State {
        /// Only tenants with a call running or waiting have an entry.
        var tenants: [UUID: Tenant] = [:]
        var nextWaiterID = 0
    }

    private struct Tenant {
        var running = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private enum Admission {
        case granted, queued, cancelled, timedOut
    }

    init(limit: Int, maxWait: Duration) {
        self.limit = max(1, limit)
        self.maxWait = max(maxWait, .zero)
    }

    /// Runs `body` in one of the tenant's slots, waiting up to `maxWait` for one.
    /// - Throws: `OrderServiceError(.rateLimited)` with `retryAfterSeconds` when no slot came free in
    ///   time; `CancellationError` when the task is cancelled while waiting; whatever `body` throws.
    func withSlot<T: Sendable>(tenantID: UUID, _ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire(tenantID)
        defer { release(tenantID) }
        // A slot handed over just as the task was cancelled is passed on without calling OrderDesk.
        try Task.checkCancellation()
        return try await body()
    }

    /// Calls of one tenant holding a slot, and calls waiting for one.
    struct Occupancy: Sendable, Equatable {
        var running: Int
        var waiting: Int
    }

    func occupancy(_ tenantID: UUID) -> Occupancy {
        state.withLock { state in
            state.tenants[tenantID].map { Occupancy(running: $0.running, waiting: $0.waiters.count) }
                ?? Occupancy(running: 0, waiting: 0)
        }
    }

    private func acquire(_ tenantID: UUID) async throws {
        let deadline = ContinuousClock.now + maxWait
        let id: Int? = state.withLock { state in
            if state.tenants[tenantID, default: Tenant()].running < limit {
                state.tenants[tenantID, default: Tenant()].running += 1
                return nil
            }
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        guard let id else { return }

        let timer = Task { [self] in
            do {
                try await Task.sleep(until: deadline, clock: .continuous)
            } catch {
                return  // served or cancelled before the deadline
            }
            abandon(id, of: tenantID, with: Self.busy(maxWait: maxWait))
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Cancellation and the deadline are checked under the lock that `abandon` takes, so a
                // waiter is either queued before they strike (and removed by them) or never queued.
                let admission: Admission = state.withLock { state in
                    if Task.isCancelled { return .cancelled }
                    if ContinuousClock.now >= deadline { return .timedOut }
                    if state.tenants[tenantID, default: Tenant()].running < limit {
                        state.tenants[tenantID, default: Tenant()].running += 1
                        return .granted
                    }
                    state.tenants[tenantID, default: Tenant()].waiters.append((id, continuation))
                    return .queued
                }
                switch admission {
                case .granted: continuation.resume()
                case .queued: break
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .timedOut:
                    ServiceMetrics.rateLimitDenied("upstream_concurrency")
                    continuation.resume(throwing: Self.busy(maxWait: maxWait))
                }
            }
        } onCancel: { [self] in
            abandon(id, of: tenantID, with: CancellationError())
        }
    }

    /// Hands the slot to the tenant's first waiter, or frees it.
    private func release(_ tenantID: UUID) {
        let next: CheckedContinuation<Void, any Error>? = state.withLock { state in
            guard var tenant = state.tenants[tenantID] else { return nil }
            if !tenant.waiters.isEmpty {
                let waiter = tenant.waiters.removeFirst()
                state.tenants[tenantID] = tenant
                return waiter.continuation
            }
            tenant.running -= 1
            state.tenants[tenantID] = tenant.running > 0 ? tenant : nil
            return nil
        }
        next?.resume()
    }

    /// Takes a waiter out of the queue (timed out or cancelled); nothing if it was already served.
    private func abandon(_ id: Int, of tenantID: UUID, with error: any Error) {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            guard var tenant = state.tenants[tenantID], let index = tenant.waiters.firstIndex(where: { $0.id == id })
            else { return nil }
            let waiter = tenant.waiters.remove(at: index)
            state.tenants[tenantID] = tenant
            return waiter.continuation
        }
        guard let waiter else { return }
        if error is OrderServiceError { ServiceMetrics.rateLimitDenied("upstream_concurrency") }
        waiter.resume(throwing: error)
    }

    private static func busy(maxWait: Duration) -> OrderServiceError {
        OrderServiceError(
            .rateLimited,
            "Too many OrderDesk calls of this account are still running (OrderDesk is answering slowly), so this one "
                + "was not started. Try again in a few seconds.",
            retryAfterSeconds: max(2, Int((maxWait / .seconds(1)).rounded(.up))))
    }
}
