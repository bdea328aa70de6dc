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
            try await poll(until: "the first round swept the expired row") { try await h.cacheRows(scope: "order") == 1 }
            // Rows expiring later are picked up by a later round.
            try await Self.seed(h, expired: 1, fresh: 0)
            try await poll(until: "a later round swept the new one") { try await h.cacheRows(scope: "order") == 1 }
            task.cancel()
            await task.value
            #expect(try await h.cacheRows(scope: "order") == 1)
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
                // The other replica is mid-sweep: its transaction holds the sweep lock until we are done.
                let (held, holding) = AsyncStream<Void>.makeStream()
                let finished = DispatchSemaphore(value: 0)
                let lock = OrderLockKeys.sweep
                let holder = Task {
                    try await replica2.database.withUnscopedTransaction { tx in
                        _ = try tx.query("SELECT pg_advisory_xact_lock(\(lock)) IS NOT NULL AS locked")
                        holding.yield()
                        finished.wait()  // on a database thread, not a Swift one
                    }
                }
                for await _ in held { break }
                let cycle = try await sweeper.sweepUntilDone()
                finished.signal()
                try await holder.value
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
            try await poll(until: "the first cycle swept every expired session") { try await Self.expiredSessions(h) == 0 }
            task.cancel()
            await task.value
            #expect(try await Self.expiredSessions(h) == 0)
        }
    }
}
