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
                // Another session is sweeping (holds the sweep lock): replica 1 skips its round. The
                // holder is a one-connection pool, so both statements run in the same session.
                let sweeping = h.fixture.secondReplica(poolSize: 1)
                try await sweeping.withConnection { connection in
                    _ = try connection.execute("SELECT pg_advisory_lock(\(OrderLockKeys.sweep))")
                }
                let skipped = try await h.service.sweepExpired()
                try await sweeping.withConnection { connection in
                    _ = try connection.execute("SELECT pg_advisory_unlock(\(OrderLockKeys.sweep))")
                }
                await sweeping.shutdown()
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

    /// A lease left by a replica that died mid-update goes once it has expired; a live one stays.
    @Test func sweepDeletesExpiredUpdateLeases() async throws {
        try await OrdersHarness.run { h in
            let (tenant, store) = (h.tenantID, h.store.id)
            try await h.database.withTenantTransaction(tenant) { tx in
                for (order, offset) in [("1", -5), ("2", -1), ("3", 60)] {
                    try tx.execute(
                        """
                        INSERT INTO orderdesk.order_update_leases
                            (tenant_id, store_id, order_id, holder, acquired_at, expires_at)
                        VALUES (\(tenant), \(store), \(order), \(UUID()), now() - interval '1 minute',
                                now() + \(offset) * interval '1 second')
                        """)
                }
            }
            #expect(try await h.service.sweepExpired() == 2)
            let left = try await h.database.withTenantTransaction(tenant) { tx in
                try tx.query("SELECT order_id FROM orderdesk.order_update_leases").map { try $0.decode(String.self, "order_id") }
            }
            #expect(left == ["3"])
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
