import Foundation
import NIOPosix

/// Performs transfers on a dedicated thread pool, so no blocking libcurl call ever runs on Swift's
/// cooperative pool or on an event loop. One thread per connection slot: a transfer waits for a free
/// thread (asynchronously, holding no thread) rather than for a free handle.
final class CurlTransport: Sendable {
    private let threadPool: NIOThreadPool
    private let handles = CurlHandlePool()
    private let counters = Counters()

    init(threads: Int) {
        threadPool = NIOThreadPool(numberOfThreads: threads)
        threadPool.start()
    }

    deinit {
        // Idempotent; covers clients dropped without `shutdown()`.
        threadPool.shutdownGracefully { _ in }
    }

    /// Performs one attempt. Throws `CancellationError` when the task is cancelled before the
    /// transfer started, and `TransportFailure(.unusable)` when the client was shut down or libcurl
    /// could not create a handle.
    func perform(_ transfer: Transfer) async throws -> TransferResult {
        let handles = self.handles
        let counters = self.counters
        let result: TransferResult?
        do {
            result = try await threadPool.runIfActive {
                handles.withHandle { handle in
                    let result = handle.perform(transfer)
                    counters.record(newConnections: result.newConnections)
                    return result
                }
            }
        } catch {
            try Task.checkCancellation()
            throw TransportFailure(kind: .unusable, requestMayHaveBeenSent: false, detail: "client is shut down")
        }
        guard let result else {
            throw TransportFailure(kind: .unusable, requestMayHaveBeenSent: false, detail: "libcurl unavailable")
        }
        return result
    }

    var statistics: ConnectionStatistics {
        var statistics = counters.snapshot
        statistics.handles = handles.handlesCreated
        return statistics
    }

    func shutdown() async {
        try? await threadPool.shutdownGracefully()
        handles.drain()
    }

    /// `@unchecked Sendable`: state only touched under `lock`.
    private final class Counters: @unchecked Sendable {
        private let lock = NSLock()
        private var value = ConnectionStatistics()

        func record(newConnections: Int) {
            lock.withLock {
                value.transfers += 1
                value.connectionsOpened += newConnections
            }
        }

        var snapshot: ConnectionStatistics { lock.withLock { value } }
    }
}
