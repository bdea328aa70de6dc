import Foundation
import JSON
import Postgres
import TestSupport
import Testing

@testable import App

/// Expired rows are swept by one replica at a time.
@Suite(.serialized) struct CacheSweeperTests {
    /// Adds `expired` expired and `fresh` live cache entries for the harness's store.
    static func seed(_ h: OrdersHarness, expired: Int, fresh: Int) async throws {
        let (tenant, store) = (h.tenantID, h.store.id)
        try await h.database.withTenantTransaction(tenant) { tx in
            for index in 0..<(expired + fresh) {
                let offset = index < expired ? -60 : 60
                try tx.execute(
                    """
                    INSERT INTO orderdesk.cache_entries (tenant_id, store_id, scope, key, value, expires_at)
                    VALUES (\(tenant), \(store), 'order', \("order:seed-\(index)"), '{}'::jsonb,
                            now() + \(offset) * interval '1 second')
                    """)
            }
        }
    }

    @Test func sweepDeletesExpiredRowsOnly() async throws {
        try await OrdersHarness.run { h in
            try await Self.seed(h, expired: 3, fresh: 2)
            #expect(try await h.service.sweepExpired() == 3)
            #expect(try await h.cacheRows(scope: "order") == 2)
            #expect(try await h.service.sweepExpired() == 0)
        }
    }

    @Test func aReplicaDoesNotSweepWhileAnotherIs() async throws {
        try await OrdersHarness.run { h in
            try await Self.seed(h, expired: 4, fresh: 0)
            try await h.withSecondReplica { replica2 in
                // Replica 2 is sweeping (holds the sweep lock): replica 1 skips its round.
                let skipped = try await replica2.database.withAdvisoryLock(key: OrderLockKeys.sweep, timeout: .seconds(1)) {
                    try await h.service.sweepExpired()
                }
                #expect(skipped == 0)
                #expect(try await h.cacheRows(scope: "order") == 4)
                // Two at once: the rows are deleted once in total.
                async let one = h.service.sweepExpired()
                async let two = replica2.service.sweepExpired()
                let results = try await [one, two]
                #expect(results.reduce(0, +) == 4)
                #expect(try await h.cacheRows(scope: "order") == 0)
            }
        }
    }

    @Test func theSweeperRunsUntilCancelled() async throws {
        try await OrdersHarness.run { h in
            try await Self.seed(h, expired: 2, fresh: 1)
            let sweeper = CacheSweeper(service: h.service, interval: .milliseconds(50))
            let task = Task { await sweeper.run() }
            var remaining = try await h.cacheRows(scope: "order")
            for _ in 0..<40 where remaining != 1 {
                try await Task.sleep(for: .milliseconds(50))
                remaining = try await h.cacheRows(scope: "order")
            }
            #expect(remaining == 1)
            // Rows expiring later are picked up by a later round.
            try await Self.seed(h, expired: 1, fresh: 0)
            remaining = try await h.cacheRows(scope: "order")
            for _ in 0..<40 where remaining != 1 {
                try await Task.sleep(for: .milliseconds(50))
                remaining = try await h.cacheRows(scope: "order")
            }
            task.cancel()
            await task.value
            #expect(remaining == 1)
        }
    }
}
