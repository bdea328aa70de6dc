import Foundation
import JSON
import OrderDesk
import Postgres
import TestSupport
import Testing

@testable import App

/// The per-store upstream bucket shared by replicas in `rate_limit_buckets`.
@Suite(.serialized) struct UpstreamBucketTests {
    static func configuration(burst: Double, perSecond: Double, maxWait: Duration) -> OrderServiceConfiguration {
        OrderServiceConfiguration(
            orderTTL: .zero, listTTL: .zero, upstreamBurst: burst, upstreamPerSecond: perSecond, upstreamMaxWait: maxWait,
            updateLockTimeout: .seconds(5))
    }

    @Test func theCallAfterTheBurstIsRateLimitedWithRetryAfter() async throws {
        let configuration = Self.configuration(burst: 3, perSecond: 0.5, maxWait: .milliseconds(300))
        try await OrdersHarness.run(configuration: configuration) { h in
            let id = try await h.orderIDs(1)[0]
            for _ in 0..<3 {
                _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            }
            let started = ContinuousClock.now
            let error = await orderServiceError {
                try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            }
            let waited = ContinuousClock.now - started
            #expect(error?.code == .rateLimited)
            // One token takes 2 s at 0.5/s: more than the 300 ms the call may wait, so it gives up
            // at once instead of sleeping in vain.
            #expect(error?.retryAfterSeconds == 2)
            #expect(waited < .milliseconds(300))
            #expect(try await h.upstream("GET", "/orders/\(id)") == 3)
            // The bucket is the store's, on every replica.
            try await h.withSecondReplica(configuration: configuration) { replica2 in
                let other = await orderServiceError {
                    try await replica2.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 1))
                }
                #expect(other?.code == .rateLimited)
            }
            let stored = try await h.database.withTenantTransaction(h.tenantID) { tx in
                try tx.query("SELECT bucket FROM orderdesk.rate_limit_buckets").map { try $0.decode(String.self, "bucket") }
            }
            #expect(stored == ["upstream:" + h.store.id.uuidString.lowercased()])
        }
    }

    @Test func aCallWaitsForATokenWhenOneComesInTime() async throws {
        // One token every 400 ms; calls may wait up to 2 s.
        let configuration = Self.configuration(burst: 1, perSecond: 2.5, maxWait: .seconds(2))
        try await OrdersHarness.run(configuration: configuration) { h in
            let id = try await h.orderIDs(1)[0]
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            let started = ContinuousClock.now
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(300))
            #expect(waited < .milliseconds(1_500))
            #expect(try await h.upstream("GET", "/orders/\(id)") == 2)
        }
    }

    /// OrderDesk's `X-Retry-After` on a 429 is per store: after it, no call of any replica reaches the
    /// store until that time has passed; they are refused locally with about that wait.
    @Test func orderDesksRetryAfterHoldsOffLaterCallsOnEveryReplica() async throws {
        let configuration = Self.configuration(burst: 20, perSecond: 3, maxWait: .milliseconds(300))
        try await OrdersHarness.run(configuration: configuration) { h in
            let id = try await h.orderIDs(1)[0]
            try await h.simulator.injectFault([
                "method": "GET", "path": "/orders/*", "count": 1, "status": 429,
                "headers": ["X-Retry-After": "30", "X-Tokens-Remaining": "0"],
            ])
            let first = await caught(OrderDeskError.self) {
                try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            }
            #expect(first?.code == .rateLimited)
            #expect(first?.retryAfter == .seconds(30))
            let second = await orderServiceError {
                try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            }
            #expect(second?.code == .rateLimited)
            #expect((29...31).contains(second?.retryAfterSeconds ?? 0))
            try await h.withSecondReplica(configuration: configuration) { replica2 in
                let other = await orderServiceError {
                    try await replica2.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 1))
                }
                #expect(other?.code == .rateLimited)
            }
            // Only the first call reached OrderDesk.
            #expect(try await h.upstream("GET", "*") == 1)
        }
    }

    @Test func anUpdateTakesTwoTokens() async throws {
        let configuration = Self.configuration(burst: 3, perSecond: 0.1, maxWait: .zero)
        try await OrdersHarness.run(configuration: configuration) { h in
            let id = try await h.orderIDs(1)[0]
            _ = try await h.service.update(
                tenantID: h.tenantID, store: h.store, orderID: id, changes: ["email": "one@example.com"],
                expectedDateUpdated: nil)
            // One token left: not enough for another update (GET + PUT), enough for a get.
            let error = await orderServiceError {
                try await h.service.update(
                    tenantID: h.tenantID, store: h.store, orderID: id, changes: ["email": "two@example.com"],
                    expectedDateUpdated: nil)
            }
            #expect(error?.code == .rateLimited)
            #expect(error?.retryAfterSeconds == 10)
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            #expect(try await h.upstream("PUT", "*") == 1)
        }
    }
}
