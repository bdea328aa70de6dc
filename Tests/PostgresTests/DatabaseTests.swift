import Foundation
import JSON
import Postgres
import TestSupport
import Testing

/// The libpq layer against the real test cluster (as its superuser: these tests are about the
/// driver, not about row-level security).
@Suite(.serialized) struct DatabaseTests {
    func withDatabase(
        poolSize: Int = 2, statementTimeoutMilliseconds: Int = 5_000, acquireTimeoutMilliseconds: Int = 10_000,
        _ body: (Database) async throws -> Void
    ) async throws {
        let database = Database(
            configuration: DatabaseConfiguration(
                url: try TestDatabase.adminURL, poolSize: poolSize,
                statementTimeoutMilliseconds: statementTimeoutMilliseconds,
                acquireTimeoutMilliseconds: acquireTimeoutMilliseconds))
        do {
            try await body(database)
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }

    @Test func valuesRoundTripThroughBindsAndTypedDecoding() async throws {
        try await withDatabase { database in
            let id = UUID()
            let bytes = (0...255).map { UInt8($0) }
            let when = Date(timeIntervalSince1970: 1_790_000_000.123456)
            let json: JSONValue = ["order": ["id": 42, "tags": ["a", "b"]], "ok": true]
            let row = try await database.withUnscopedTransaction { tx in
                try tx.query(
                    """
                    SELECT \(id)::uuid AS id, \(bytes)::bytea AS bytes, \(when)::timestamptz AS at,
                           \(json)::jsonb AS doc, \(Int64.max)::bigint AS big, \(true) AS flag, \(2.5)::float8 AS ratio,
                           \(PostgresTextArray(["read", "wr\"ite", "a,b"])) AS scopes, \("naïve ✓") AS text,
                           NULL::text AS nothing
                    """)[0]
            }
            #expect(try row.decode(UUID.self, "id") == id)
            #expect(try row.decode([UInt8].self, "bytes") == bytes)
            #expect(abs(try row.decode(Date.self, "at").timeIntervalSince(when)) < 0.000_01)
            #expect(try row.decode(JSONValue.self, "doc") == json)
            #expect(try row.decode(Int64.self, "big") == Int64.max)
            #expect(try row.decode(Bool.self, "flag"))
            #expect(try row.decode(Double.self, "ratio") == 2.5)
            #expect(try row.decode(PostgresTextArray.self, "scopes").elements == ["read", "wr\"ite", "a,b"])
            #expect(try row.decode(String.self, "text") == "naïve ✓")
            #expect(try row.decode(String?.self, "nothing") == nil)
            #expect(throws: PostgresError.self) { try row.decode(String.self, "nothing") }
        }
    }

    @Test func injectionTextStaysAValue() async throws {
        try await withDatabase { database in
            let hostile = "x'); SELECT pg_sleep(10); --"
            let echoed = try await database.withUnscopedTransaction { tx in
                try tx.query("SELECT \(hostile)::text AS value")[0].decode(String.self, "value")
            }
            #expect(echoed == hostile)
        }
    }

    @Test func serverErrorsKeepSQLStateButNotValues() async throws {
        try await withDatabase { database in
            let error = await #expect(throws: PostgresError.self) {
                try await database.withUnscopedTransaction { tx in
                    try tx.query("SELECT \("not-a-uuid-s3cret")::uuid")
                }
            }
            #expect(error?.sqlState == "22P02")
            #expect(error?.code == .server)
            #expect(error.map { "\($0)" }?.contains("s3cret") == false)
            #expect(error.map { String(reflecting: $0) }?.contains("SELECT") == false)
        }
    }

    @Test func failedTransactionIsRolledBack() async throws {
        try await withDatabase(poolSize: 1) { database in
            let table = "rollback_probe_\(UInt32.random(in: 0...UInt32.max))"
            try await database.withUnscopedTransaction { tx in
                try tx.execute(PostgresQuery(unsafeSQL: "CREATE TABLE \(table) (n int)"))
            }
            await #expect(throws: PostgresError.self) {
                try await database.withUnscopedTransaction { tx in
                    try tx.execute(PostgresQuery(unsafeSQL: "INSERT INTO \(table) VALUES (1)"))
                    try tx.execute("SELECT 1/0")
                }
            }
            let count = try await database.withUnscopedTransaction { tx in
                try tx.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)"))[0].decode(Int.self, "n")
            }
            #expect(count == 0)
            try await database.withUnscopedTransaction { tx in
                try tx.execute(PostgresQuery(unsafeSQL: "DROP TABLE \(table)"))
            }
        }
    }

    @Test func statementTimeoutBoundsSlowQueries() async throws {
        try await withDatabase(statementTimeoutMilliseconds: 200) { database in
            let clock = ContinuousClock()
            let started = clock.now
            let error = await #expect(throws: PostgresError.self) {
                try await database.withUnscopedTransaction { tx in try tx.query("SELECT pg_sleep(5)") }
            }
            #expect(error?.code == .queryTimeout)
            #expect(error?.sqlState == "57014")
            #expect(clock.now - started < .seconds(3))
        }
    }

    @Test func brokenConnectionIsDetectedAndReplaced() async throws {
        try await withDatabase(poolSize: 1) { database in
            let firstPID = try await database.withUnscopedTransaction { tx in
                try tx.query("SELECT pg_backend_pid() AS pid")[0].decode(Int.self, "pid")
            }
            // Kill the pooled connection's backend from another session, as a server restart would.
            let killer = Database(configuration: DatabaseConfiguration(url: try TestDatabase.adminURL, poolSize: 1))
            try await killer.withUnscopedTransaction { tx in
                try tx.query("SELECT pg_terminate_backend(\(firstPID)::int)")
            }
            await killer.shutdown()
            try await Waiting.untilBackendIsGone(firstPID)
            let secondPID = try await database.withUnscopedTransaction { tx in
                try tx.query("SELECT pg_backend_pid() AS pid")[0].decode(Int.self, "pid")
            }
            #expect(secondPID != firstPID)
            let stats = await database.poolStatistics()
            #expect(stats.open == 1)
        }
    }

    @Test func waitingForAConnectionTimesOutWithAClearError() async throws {
        try await withDatabase(poolSize: 1, acquireTimeoutMilliseconds: 200) { database in
            let holder = Task {
                try await database.withUnscopedTransaction { tx in try tx.query("SELECT pg_sleep(1.5)") }
            }
            try await Waiting.untilEveryConnectionIsLeased(database, poolSize: 1)
            let error = await #expect(throws: PostgresError.self) {
                try await database.withUnscopedTransaction { tx in try tx.query("SELECT 1") }
            }
            #expect(error?.code == .poolTimeout)
            _ = try await holder.value
        }
    }

    @Test func unreachableServerFailsWithConnectionError() async throws {
        let database = Database(
            configuration: DatabaseConfiguration(url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"))
        let error = await #expect(throws: PostgresError.self) {
            try await database.withUnscopedTransaction { tx in try tx.query("SELECT 1") }
        }
        #expect(error?.code == .connectionFailed)
        await database.shutdown()
    }

    /// 200 transactions on 4 connections all finish, and the cooperative pool stays free: a timer
    /// task keeps ticking on time while the database threads are busy.
    @Test func manyConcurrentTransactionsDoNotBlockTheCooperativePool() async throws {
        try await withDatabase(poolSize: 4, acquireTimeoutMilliseconds: 60_000) { database in
            let clock = ContinuousClock()
            let ticker = Task { () -> Duration in
                var worst = Duration.zero
                while !Task.isCancelled {
                    let before = clock.now
                    try? await Task.sleep(for: .milliseconds(10))
                    worst = max(worst, clock.now - before - .milliseconds(10))
                }
                return worst
            }
            let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await database.withUnscopedTransaction { tx in
                            let n = try tx.query("SELECT \(index)::int AS n, pg_sleep(0.03)")[0].decode(Int.self, "n")
                            return (n, currentThreadName())
                        }
                    }
                }
                return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
            }
            ticker.cancel()
            let worstLateness = await ticker.value
            #expect(Set(results.map(\.0)) == Set(0..<200))
            // Every transaction ran on the database's own NIOThreadPool ("TP-#n"), none on the cooperative pool.
            #expect(results.allSatisfy { $0.1.hasPrefix("TP-") }, "\(Set(results.map(\.1)))")
            #expect(worstLateness < .milliseconds(250), "timer was late by \(worstLateness)")
            let stats = await database.poolStatistics()
            #expect(stats.open <= 4)
        }
    }
}

/// The OS name of the calling thread (NIOThreadPool names its threads "TP-#n").
/// Read from /proc (Linux): `pthread_getname_np` is a GNU extension Swift does not import.
func currentThreadName() -> String {
    ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
        .trimmingCharacters(in: .whitespacesAndNewlines)
}
