import Hummingbird
import NIOCore

/// Per-request state shared by the simulator's middleware and routes.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection, kept so the `drop_connection` fault can close it without answering.
    let channel: any Channel
    let receivedAt: ContinuousClock.Instant
    /// Set by the authentication middleware once the store's id and key check out.
    var storeID: String?
    /// Notes about the request that outer middleware (the request log) reads after inner middleware ran.
    let trace = RequestTrace()

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.receivedAt = .now
    }

    /// The authenticated store; routes behind the authentication middleware can rely on it.
    func requireStore() throws -> String {
        guard let storeID else { throw SimulatorError.unauthorized("Authentication required.") }
        return storeID
    }
}
