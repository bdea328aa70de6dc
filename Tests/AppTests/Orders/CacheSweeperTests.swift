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

    /// Adds `count` unbound MCP sessions that expired an hour ago.
    static func seedExpiredSessions(_ h: OrdersHarness, count: Int) async throws {
        try await h.database.withUnscopedTransaction { tx in
            try tx.execute(
                """
                INSERT INTO orderdesk.sessions (id_hash, kind, created_at, last_seen_at, expires_at)
                SELECT sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'mcp', now() - interval '2 hours',
                       now() - interval '2 hours', now() - interval '1 hour'
                FROM generate_series(1, \(count))
                """)
        }
    }

    /// Expired sessions left, counted past row-level security.
    static func expiredSessions(_ h: OrdersHarness) async throws -> Int {
        try await h.fixture.asSuperuser { tx in
            try tx.query("SELECT count(*) AS n FROM orderdesk.sessions WHERE expires_at < now()")[0].decode(Int.self, "n")
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

    @Test func aRoundReportsWhatItDeletedPerTable() async throws {
        try await OrdersHarness.run { h in
            try await Self.seed(h, expired: 2, fresh: 1)
            try await Self.seedExpiredSessions(h, count: 5)
            let round = try await h.service.sweepExpired(batchLimit: 3)
            #expect(round.swept && round.batchLimit == 3)
            #expect(round.deleted["cache_entries"] == 2 && round.deleted["sessions"] == 3)
            #expect(round.total == 5 && round.mayHaveMore)
            let next = try await h.service.sweepExpired(batchLimit: 3)
            #expect(next.deleted["sessions"] == 2 && next.total == 2 && !next.mayHaveMore)
        }
    }

    @Test func aCycleDeletesMoreThanOneBatchWithoutWaitingForTheInterval() async throws {
        try await OrdersHarness.run { h in
            try await Self.seed(h, expired: 7, fresh: 2)
            try await Self.seedExpiredSessions(h, count: 11)
            let sweeper = CacheSweeper(service: h.service, interval: .seconds(3600), batchLimit: 3)
            let cycle = try await sweeper.sweepUntilDone()
            // Sessions go 3, 3, 3, 2: the fourth round deletes less than a batch everywhere and ends it.
            #expect(cycle.deleted == 18 && cycle.rounds == 4 && !cycle.stoppedAtBound)
            #expect(try await h.cacheRows(scope: "order") == 2)
            #expect(try await Self.expiredSessions(h) == 0)
        }
    }

    @Test func theCatchUpOfOneCycleIsBounded() async throws {
        try await OrdersHarness.run { h in
            try await Self.seed(h, expired: 10, fresh: 0)
            let sweeper = CacheSweeper(service: h.service, interval: .seconds(3600), batchLimit: 2, maximumRounds: 3)
            let first = try await sweeper.sweepUntilDone()
            #expect(first.deleted == 6 && first.rounds == 3 && first.stoppedAtBound)
            #expect(try await h.cacheRows(scope: "order") == 4)
            // The next cycle carries on where the bound stopped the first.
            let second = try await sweeper.sweepUntilDone()
            #expect(second.deleted == 4 && second.rounds == 3 && !second.stoppedAtBound)
            #expect(try await h.cacheRows(scope: "order") == 0)
        }
    }

    @Test func aCycleStopsWhileAnotherReplicaIsSweeping() async throws {
        try await OrdersHarness.run { h in
            try await Self.seed(h, expired: 5, fresh: 0)
            try await h.withSecondReplica { replica2 in
                let sweeper = CacheSweeper(service: h.service, interval: .seconds(3600), batchLimit: 2)
                let cycle = try await replica2.database.withAdvisoryLock(key: OrderLockKeys.sweep, timeout: .seconds(1)) {
                    try await sweeper.sweepUntilDone()
                }
                #expect(cycle.deleted == 0 && cycle.rounds == 1 && !cycle.stoppedAtBound)
                #expect(try await h.cacheRows(scope: "order") == 5)
            }
        }
    }

    @Test func theFirstCycleOfRunCatchesUpBeforeItsPause() async throws {
        try await OrdersHarness.run { h in
            try await Self.seedExpiredSessions(h, count: 10)
            // An hour between cycles: only the first cycle can run during this test.
            let sweeper = CacheSweeper(service: h.service, interval: .seconds(3600), batchLimit: 3)
            let task = Task { await sweeper.run() }
            var remaining = try await Self.expiredSessions(h)
            for _ in 0..<200 where remaining != 0 {
                try await Task.sleep(for: .milliseconds(50))
                remaining = try await Self.expiredSessions(h)
            }
            task.cancel()
            await task.value
            #expect(remaining == 0)
        }
    }
}
