import Synchronization

@testable import Postgres

/// What the lease tasks report: which are still running, the connections they hold, what went wrong.
final class LeaseLedger: Sendable {
    struct State {
        var pending: Set<Int> = []
        var held: [FakeConnection] = []
        var violations: [String] = []
        /// How leases ended ("leased", "poolTimeout", "connectionFailed", "cancelled", …).
        var outcomes: [String: Int] = [:]
    }

    let state = Mutex(State())

    func started(_ id: Int) {
        state.withLock { _ = $0.pending.insert(id) }
    }

    func leased(_ id: Int, _ connection: FakeConnection, backend: FakeBackend) {
        let closed = backend.isClosed(connection)
        state.withLock { state in
            if closed { state.violations.append("lease #\(id) got closed connection \(connection.id)") }
            if state.held.contains(where: { $0 === connection }) {
                state.violations.append("lease #\(id) got connection \(connection.id), which is leased already")
            }
            state.held.append(connection)
            state.pending.remove(id)
            state.outcomes["leased", default: 0] += 1
        }
    }

    func failed(_ id: Int, _ error: any Error) {
        let outcome: String?
        switch error {
        case let error as PostgresError where error.code == .poolTimeout: outcome = "poolTimeout"
        case let error as PostgresError where error.code == .connectionFailed: outcome = "connectionFailed"
        case let error as PostgresError where error.code == .poolClosed: outcome = "poolClosed"
        case is CancellationError: outcome = "cancelled"
        default: outcome = nil
        }
        state.withLock { state in
            if let outcome {
                state.outcomes[outcome, default: 0] += 1
            } else {
                state.violations.append("lease #\(id) failed with \(error)")
            }
            state.pending.remove(id)
        }
    }

    func takeAllHeld() -> [FakeConnection] {
        state.withLock { state in
            defer { state.held = [] }
            return state.held
        }
    }
}
