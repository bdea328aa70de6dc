import NIOPosix
import Synchronization
import TestSupport
import Testing

@testable import Postgres

/// The pool's bookkeeping against a fake database that can go down and come back (issue 11): random
/// leases, healthy and broken releases, failing connects, short timeouts and cancellations, with the
/// invariants checked whenever the pool is at rest. A failure names its seed; the same seed replays the
/// same operations (the interleavings around them come from real threads and timers).
@Suite struct ConnectionPoolModelTests {
    static let maximum = 2

    @Test(arguments: 1...16)
    func randomUseNeverLosesASlotOrAConnection(seed: Int) async throws {
        let model = PoolModel(seed: UInt64(seed), maximum: Self.maximum)
        await model.run(steps: 400)
        await model.finish()
        #expect(model.violations.isEmpty, "seed \(seed):\n\(model.violations.joined(separator: "\n"))")
        // A complete run did what it is for: leases that succeeded, failed to connect, were cancelled.
        if model.violations.isEmpty {
            let outcomes = model.outcomes
            #expect(["leased", "connectionFailed", "cancelled"].allSatisfy { outcomes[$0, default: 0] > 0 }, "\(outcomes)")
        }
    }

    /// The reported case: a connection is closed as broken while a caller waits. The waiter opens a
    /// connection in the freed slot; when both connections break later (the next restart), two
    /// callers still get one each.
    @Test func aBrokenReleaseWithACallerWaitingKeepsEverySlot() async throws {
        try await withPool(maximum: 2) { pool, backend in
            let first = try await pool.lease()
            let second = try await pool.lease()
            let waiter = Task { try await pool.lease(timeout: .seconds(5)) }
            try await poll(until: "the pool reaches the expected state") { await pool.statistics.waiting == 1 }
            await pool.release(first, reusable: false)
            let third = try await waiter.value
            await pool.release(second, reusable: false)
            await pool.release(third, reusable: false)

            async let a = pool.lease(timeout: .seconds(1))
            async let b = pool.lease(timeout: .seconds(1))
            let both = try await [a, b]
            #expect(await pool.statistics.open == 2)
            #expect(backend.alive == 2)
            for connection in both { await pool.release(connection, reusable: true) }
        }
    }

    /// A connect that fails while a caller waits hands the slot on: once the database is back, the
    /// whole pool can be leased again.
    @Test func aFailedConnectWithACallerWaitingKeepsEverySlot() async throws {
        try await withPool(maximum: 1) { pool, backend in
            let only = try await pool.lease()
            let waiter = Task { try await pool.lease(timeout: .seconds(5)) }
            try await poll(until: "the pool reaches the expected state") { await pool.statistics.waiting == 1 }
            backend.isUp = false
            await pool.release(only, reusable: false)
            await #expect(throws: PostgresError.self) { try await waiter.value }
            backend.isUp = true

            let again = try await pool.lease(timeout: .seconds(1))
            #expect(await pool.statistics.open == 1)
            #expect(backend.alive == 1)
            await pool.release(again, reusable: true)
        }
    }

    /// A connection given back after the database threads stopped (a straggler after
    /// `Database.shutdown()`) is still closed, and not on a Swift concurrency thread.
    @Test func aConnectionReleasedAfterTheThreadsStoppedIsClosedOffTheSwiftThreads() async throws {
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let backend = FakeBackend()
        let pool = ConnectionPool(
            maximum: 1, acquireTimeout: .seconds(5), threadPool: threadPool, connect: { try backend.connect() })
        let straggler = try await pool.lease()
        try await threadPool.shutdownGracefully()
        await pool.release(straggler, reusable: false)
        try await poll(until: "the pool reaches the expected state") { backend.alive == 0 }
        #expect(backend.closedOnSwiftThreads == 0)
        await pool.shutdown()
    }

    private func withPool(
        maximum: Int, _ body: (ConnectionPool<FakeConnection>, FakeBackend) async throws -> Void
    ) async throws {
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let backend = FakeBackend()
        let pool = ConnectionPool(
            maximum: maximum, acquireTimeout: .seconds(5), threadPool: threadPool, connect: { try backend.connect() })
        do {
            try await body(pool, backend)
        } catch {
            await pool.shutdown()
            try await threadPool.shutdownGracefully()
            throw error
        }
        await pool.shutdown()
        try await threadPool.shutdownGracefully()
    }

}
