import Dispatch
import Postgres
import TestSupport

/// One of a `Database`'s connections, taken and held until `release()`, so that a test knows for
/// certain that the next callers wait for a connection, instead of sleeping and hoping the holder
/// got there first.
///
/// The holder blocks on a semaphore inside `withConnection`'s body, which runs on the database's
/// own thread pool like every query, not on the cooperative pool.
final class HeldConnection: Sendable {
    private let released = DispatchSemaphore(value: 0)

    /// Returns once the connection is held.
    init(of database: Database) async throws {
        let (held, signal) = AsyncStream<Void>.makeStream()
        let released = self.released
        let holder = Task {
            defer { signal.finish() }
            try await database.withConnection { _ in
                signal.yield()
                released.wait()
            }
        }
        var signals = held.makeAsyncIterator()
        if await signals.next() == nil {
            try await holder.value
            throw TestSetupError("the connection was given back before it was held")
        }
    }

    /// Gives the connection back to the pool. Safe to call more than once; put it in a `defer` so
    /// that a failing test does not leave the pool waiting for it forever.
    func release() {
        released.signal()
    }
}
