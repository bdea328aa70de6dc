import Logging

/// The background job that deletes expired cache rows (and the other rows `sweep_expired()`
/// cleans) every `interval`, on every replica; the advisory lock in `OrderService.sweepExpired`
/// makes sure only one replica sweeps at a time.
///
/// A round deletes at most `batchLimit` rows per table. When a table had more than that (a burst of
/// expired sessions, say), the next round follows at once instead of an `interval` later, up to
/// `maximumRounds` rounds per cycle, so a burst is cleared in one cycle rather than one batch per
/// `interval`. The bound keeps one cycle from running for long; the next cycle carries on.
public struct CacheSweeper: Sendable {
    let service: OrderService
    let interval: Duration
    let batchLimit: Int
    let maximumRounds: Int
    let logger: Logger

    /// What one cycle (`sweepUntilDone`) did.
    public struct Cycle: Sendable, Equatable {
        /// Rows deleted, all tables and rounds together.
        public let deleted: Int
        /// Rounds run, the one that found the lock taken included.
        public let rounds: Int
        /// The cycle stopped at `maximumRounds` while the last round still deleted a whole batch.
        public let stoppedAtBound: Bool
    }

    /// `batchLimit` (default 5000) rows per table and round; `maximumRounds` (default 20) rounds a
    /// cycle at most, so at most 100000 rows per table a cycle with the defaults.
    public init(
        service: OrderService, interval: Duration, batchLimit: Int = OrderService.sweepBatchLimit, maximumRounds: Int = 20,
        logger: Logger = Logger(label: "orderdesk.cache-sweeper")
    ) {
        self.service = service
        self.interval = max(interval, .milliseconds(10))
        self.batchLimit = max(1, batchLimit)
        self.maximumRounds = max(1, maximumRounds)
        self.logger = logger
    }

    /// Sweeps rounds back to back while the last one deleted a whole batch from some table, at most
    /// `maximumRounds`; stops early when another replica holds the sweep lock (it is sweeping, and
    /// catches up itself). Yields between rounds, and stops with `CancellationError` when cancelled.
    public func sweepUntilDone() async throws -> Cycle {
        var deleted = 0
        for round in 1...maximumRounds {
            let result = try await service.sweepExpired(batchLimit: batchLimit)
            deleted += result.total
            guard result.swept, result.mayHaveMore else {
                return Cycle(deleted: deleted, rounds: round, stoppedAtBound: false)
            }
            if round == maximumRounds { break }
            try Task.checkCancellation()
            await Task.yield()
        }
        return Cycle(deleted: deleted, rounds: maximumRounds, stoppedAtBound: true)
    }

    /// Sweeps at once, then every `interval`, until the task is cancelled; each time until done
    /// (`sweepUntilDone`). Errors are logged and the next cycle runs as usual (the database may be
    /// back by then).
    public func run() async {
        while !Task.isCancelled {
            do {
                let cycle = try await sweepUntilDone()
                if cycle.stoppedAtBound {
                    logger.notice(
                        "expired rows remain after a full sweep cycle; the next cycle continues",
                        metadata: ["deleted": "\(cycle.deleted)", "rounds": "\(cycle.rounds)"])
                } else if cycle.deleted > 0 {
                    logger.debug("swept expired rows", metadata: ["deleted": "\(cycle.deleted)", "rounds": "\(cycle.rounds)"])
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("sweeping expired rows failed", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}
