import App
import Foundation
import Logging
import OrderDesk
import Postgres

/// The services tools work with. One instance per process, shared by every request.
public struct ServerServices: Sendable {
    public let database: Database
    public let authenticator: Authenticator
    public let sessions: SessionStore
    public let sessionKeys: SessionKeyBinding
    public let stores: StoreRegistry
    public let rateLimiter: TenantRateLimiter
    /// Costs of reads and writes against the tenant bucket.
    public let rateLimits: RateLimitConfiguration
    public let audit: AuditLog
    /// The one-statement read at the start of a tool call (`CallSnapshots`).
    public let snapshots: CallSnapshots
    public let orders: OrderService
    public let orderDesk: OrderDeskClient
    /// The browser sign-in's mail queue, mail sender and metadata fetcher; nil without
    /// `PUBLIC_BASE_URL`. Closed in the server's ordered shutdown.
    public let signIn: SignInServices?

    public init(
        database: Database, authenticator: Authenticator, sessions: SessionStore, sessionKeys: SessionKeyBinding,
        stores: StoreRegistry, rateLimiter: TenantRateLimiter, rateLimits: RateLimitConfiguration, audit: AuditLog,
        orders: OrderService, orderDesk: OrderDeskClient, signIn: SignInServices? = nil,
        snapshots: CallSnapshots? = nil
    ) {
        self.snapshots = snapshots ?? CallSnapshots(database: database, sessions: sessions)
        self.database = database
        self.authenticator = authenticator
        self.sessions = sessions
        self.sessionKeys = sessionKeys
        self.stores = stores
        self.rateLimiter = rateLimiter
        self.rateLimits = rateLimits
        self.audit = audit
        self.orders = orders
        self.orderDesk = orderDesk
        self.signIn = signIn
    }
}

/// What one tool call knows about its caller.
public struct ToolContext: Sendable {
    /// The authenticated caller; nil only for tools that allow unauthenticated sessions.
    public let principal: TenantPrincipal?
    /// The caller's session in the legacy revisions; nil in 2026-07-28, which has none.
    public let session: MCPSession?
    public let services: ServerServices
    public let correlationID: String
    public let clientIP: String?
    public let logger: Logger
    /// Where the tool reports the store, order and tenant its audit rows name, and writes its
    /// `started` row (not to be confused with `services.audit`, the log itself).
    public let callAudit: CallAudit
    /// What the call's opening statement read (session, stores, the first cache entry), when it ran.
    public var snapshot: CallSnapshot? = nil

    /// The caller's tenant, or `unauthorized` when the session is not authenticated.
    public func tenantID() throws -> UUID {
        guard let principal else { throw MCPError.notAuthenticated }
        return principal.tenantID
    }
}
