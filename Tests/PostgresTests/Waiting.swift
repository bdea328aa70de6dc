import Postgres
import TestSupport

/// Database states tests wait for (with `poll(until:)`) instead of sleeping for a guessed while.
enum Waiting {
    /// Until the server has ended backend `pid` (after `pg_terminate_backend`, which only signals it).
    static func untilBackendIsGone(_ pid: Int) async throws {
        let admin = Database(configuration: DatabaseConfiguration(url: try TestDatabase.adminURL, poolSize: 1))
        do {
            try await poll(until: "backend \(pid) ended") {
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
        try await poll(until: "all \(poolSize) connections leased") {
            let statistics = await database.poolStatistics()
            return statistics.open == poolSize && statistics.idle == 0
        }
    }
}
