import Postgres
import TestSupport

/// Explicit synchronization for tests that need the database in a given state before they go on,
/// instead of sleeping for a guessed while: each polls a fact until it holds (or fails after 10 s).
enum Waiting {
    /// Until the server has ended backend `pid` (after `pg_terminate_backend`, which only signals it).
    static func untilBackendIsGone(_ pid: Int) async throws {
        let admin = Database(configuration: DatabaseConfiguration(url: try TestDatabase.adminURL, poolSize: 1))
        do {
            try await until("backend \(pid) ended") {
                try await admin.withUnscopedTransaction { tx in
                    try tx.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = \(pid)")[0].decode(Int.self, "n")
                } == 0
            }
        } catch {
            await admin.shutdown()
            throw error
        }
        await admin.shutdown()
    }

    /// Until every connection `database` may open is leased (a holder task really holds it).
    static func untilEveryConnectionIsLeased(_ database: Database, poolSize: Int) async throws {
        try await until("all \(poolSize) connections leased") {
            let statistics = await database.poolStatistics()
            return statistics.open == poolSize && statistics.idle == 0
        }
    }

    private static func until(_ what: String, _ holds: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while try await !holds() {
            guard ContinuousClock.now < deadline else { throw WaitingTimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(2))  // a polling interval, not an ordering guess
        }
    }

    struct WaitingTimedOut: Error, CustomStringConvertible {
        let what: String
        var description: String { "timed out waiting: \(what)" }
    }
}
