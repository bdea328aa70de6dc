import Synchronization

@testable import Postgres

/// A database the test takes down and brings back. While it is down connects fail, and every
/// connection open when it went down stays broken (as after `pg_ctl restart -m fast`).
final class FakeBackend: Sendable {
    private struct State {
        var isUp = true
        var generation = 0
        var created = 0
        var alive: Set<Int> = []
        var closedTwice = 0
        var closedOnSwiftThreads = 0
    }

    private let state = Mutex(State())

    var isUp: Bool {
        get { state.withLock { $0.isUp } }
        set {
            state.withLock { state in
                if state.isUp && !newValue { state.generation += 1 }
                state.isUp = newValue
            }
        }
    }

    /// Connections opened and not closed yet.
    var alive: Int { state.withLock { $0.alive.count } }
    var closedTwice: Int { state.withLock { $0.closedTwice } }
    /// Closes that ran inside a Swift task: a blocking PQfinish there would stall concurrency threads.
    var closedOnSwiftThreads: Int { state.withLock { $0.closedOnSwiftThreads } }

    func connect() throws -> FakeConnection {
        try state.withLock { state in
            guard state.isUp else { throw PostgresError(code: .connectionFailed) }
            state.created += 1
            state.alive.insert(state.created)
            return FakeConnection(id: state.created, generation: state.generation, backend: self)
        }
    }

    func isClosed(_ connection: FakeConnection) -> Bool {
        state.withLock { !$0.alive.contains(connection.id) }
    }

    func isBroken(_ connection: FakeConnection) -> Bool {
        state.withLock { !$0.alive.contains(connection.id) || $0.generation != connection.generation }
    }

    fileprivate func close(_ connection: FakeConnection) {
        let onSwiftThread = withUnsafeCurrentTask { $0 != nil }
        state.withLock { state in
            if onSwiftThread { state.closedOnSwiftThreads += 1 }
            if state.alive.remove(connection.id) == nil { state.closedTwice += 1 }
        }
    }
}

final class FakeConnection: PoolableConnection {
    let id: Int
    let generation: Int
    private let backend: FakeBackend

    init(id: Int, generation: Int, backend: FakeBackend) {
        self.id = id
        self.generation = generation
        self.backend = backend
    }

    func close() { backend.close(self) }
}
