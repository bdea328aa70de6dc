import Logging

/// The background job that deletes expired cache rows (and the other rows `sweep_expired()`
/// cleans) every `interval`, on every replica; the advisory lock in `OrderService.sweepExpired`
/// makes sure only one replica sweeps at a time.
public struct CacheSweeper: Sendable {
    let service: OrderService
    let interval: Duration
    let logger: Logger

    public init(service: OrderService, interval: Duration, logger: Logger = Logger(label: "orderdesk.cache-sweeper")) {
        self.service = service
        self.interval = max(interval, .milliseconds(10))
        self.logger = logger
    }

    /// Sweeps at once, then every `interval`, until the task is cancelled. Errors are logged and the
    /// next round runs as usual (the database may be back by then).
    public func run() async {
        while !Task.isCancelled {
            do {
                let deleted = try await service.sweepExpired()
                if deleted > 0 { logger.debug("swept expired rows", metadata: ["deleted": "\(deleted)"]) }
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
