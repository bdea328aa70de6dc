import Postgres

extension OrderService {
    /// The most rows one round deletes per table (`orderdesk.sweep_expired`'s own default).
    public static let sweepBatchLimit = 5000

    /// Deletes expired rows (cache entries, and whatever else `orderdesk.sweep_expired()` cleans:
    /// sessions, magic links, idle buckets, expired idempotency keys and update leases), one batch per table, and
    /// returns how many rows went. Only one replica sweeps at a time: the others find the advisory
    /// lock taken and return 0.
    public func sweepExpired() async throws -> Int {
        try await sweepExpired(batchLimit: Self.sweepBatchLimit).total
    }

    /// One round of `sweepExpired()` with at most `batchLimit` rows per table, and what it deleted
    /// per table, so a caller can tell when a table had more than one batch (`SweepRound.mayHaveMore`).
    /// The advisory lock is a transaction lock: it is released between rounds, and a round that finds
    /// it taken (another replica is sweeping) returns `swept == false`.
    public func sweepExpired(batchLimit: Int) async throws -> SweepRound {
        let lock = OrderLockKeys.sweep
        let limit = Int32(clamping: max(1, batchLimit))
        return try await database.withUnscopedTransaction { tx in
            guard try tx.query("SELECT pg_try_advisory_xact_lock(\(lock)) AS locked")[0].decode(Bool.self, "locked") else {
                return SweepRound(deleted: [:], batchLimit: Int(limit), swept: false)
            }
            var deleted: [String: Int] = [:]
            for row in try tx.query("SELECT table_name, deleted FROM orderdesk.sweep_expired(\(limit))") {
                deleted[try row.decode(String.self, "table_name"), default: 0] += try row.decode(Int.self, "deleted")
            }
            return SweepRound(deleted: deleted, batchLimit: Int(limit), swept: true)
        }
    }
}
