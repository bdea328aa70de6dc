import JSON
import Synchronization

/// Queued faults, consulted in the order they were added: a request gets the first fault that
/// matches it, and a fault with a count is removed once used up.
final class FaultQueue: Sendable {
    private let state = Mutex<(faults: [Fault], nextID: Int)>(([], 1))

    /// Adds a fault parsed from the admin body and returns it with the queue length.
    func add(_ json: [String: JSONValue]) throws -> (fault: Fault, queued: Int) {
        try state.withLock { state in
            let fault = try Fault(id: state.nextID, json: json, now: .now)
            state.nextID += 1
            state.faults.append(fault)
            return (fault, state.faults.count)
        }
    }

    /// Takes the fault for this request, if any, using up one of its count.
    func take(method: String, path: String) -> Fault? {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.faults.removeAll { fault in fault.expiresAt.map { $0 <= now } ?? false }
            guard let index = state.faults.firstIndex(where: { $0.applies(toMethod: method, path: path) }) else {
                return nil
            }
            let fault = state.faults[index]
            if let remaining = fault.remaining {
                if remaining <= 1 {
                    state.faults.remove(at: index)
                } else {
                    state.faults[index].remaining = remaining - 1
                }
            }
            return fault
        }
    }

    var pending: [Fault] {
        let now = ContinuousClock.now
        return state.withLock { $0.faults.filter { $0.expiresAt.map { $0 > now } ?? true } }
    }

    /// Removes every fault and returns how many there were.
    @discardableResult
    func clear() -> Int {
        state.withLock { state in
            defer { state.faults.removeAll() }
            return state.faults.count
        }
    }
}
