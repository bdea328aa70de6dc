import Synchronization

/// What happened to one request on its way through the middleware, reported back to the request
/// log. A class because request contexts are values: changes made by inner middleware would not
/// reach the outer middleware otherwise.
final class RequestTrace: Sendable {
    private let state = Mutex<(fault: String?, droppedConnection: Bool)>((nil, false))

    var fault: String? { state.withLock { $0.fault } }
    var droppedConnection: Bool { state.withLock { $0.droppedConnection } }

    func recordFault(_ name: String) { state.withLock { $0.fault = name } }
    func recordDroppedConnection() { state.withLock { $0.droppedConnection = true } }
}
