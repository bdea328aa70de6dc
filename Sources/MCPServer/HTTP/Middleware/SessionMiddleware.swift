import App
import HTTPTypes
import Hummingbird
import JSON

/// Finds the request's session (`Mcp-Session-Id`) and settles who the caller is: the Bearer key's
/// tenant (which must own the session; an unbound session gets bound to it), else, in session
/// authentication mode, the key the session logged in with (`tenant_use_master_key`), else nobody.
/// A session nobody has logged into may only `ping`, list tools, send notifications, end itself,
/// and call `tenant_use_master_key`. `initialize` needs no session (it opens one); responses to
/// server requests are dropped without one. 2026-07-28 requests pass straight through.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext
    let sessions: SessionStore
    /// The one-statement read of a Bearer caller's session (with, for a cached read, its stores and
    /// cache entry): `CallSnapshots`.
    let snapshots: CallSnapshots
    /// Whose due decision for a tool call rides along with the opening (`TenantRateLimiter.openingRate`).
    let rateLimiter: TenantRateLimiter
    let sessionKeys: SessionKeyBinding
    let allowSessionAuthentication: Bool
    let refusals: AuthenticationRefusals
    /// Which tools a session nobody has logged into may call (`Tool.allowedWithoutTenant`).
    let registry: ToolRegistry

    static let openMethods: Set<String> = ["ping", "tools/list", "notifications/initialized", "notifications/cancelled"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // 2026-07-28 has no sessions: an `Mcp-Session-Id` it sends is ignored, never looked up.
        if case .modern = context.revision { return try await next(request, context) }
        // What a session nobody has logged into may still do.
        let isOpen: Bool
        switch context.message {
        case .request(_, "initialize", _), .response:
            return try await next(request, context)
        case .request(_, "tools/call", let params):
            isOpen = params["name"]?.stringValue.flatMap(registry.tool(named:))?.allowedWithoutTenant == true
        case .request(_, let method, _), .notification(let method):
            isOpen = Self.openMethods.contains(method)
        case nil:
            isOpen = true  // DELETE: ending the session
        }
        let id = context.jsonRPCID
        var context = context
        do {
            (context.session, context.principal, context.snapshot) = try await resolve(
                request: request, context: context, isOpen: isOpen)
        } catch {
            throw MCPError(from: error).answering(id)
        }
        return try await next(request, context)
    }

    private func resolve(request: Request, context: Context, isOpen: Bool) async throws
        -> (MCPSession, TenantPrincipal?, CallSnapshot?)
    {
        guard let sessionID = request.headers[.mcpSessionID], !sessionID.isEmpty else {
            throw MCPError.invalidRequest("Mcp-Session-Id header is required; call initialize first")
        }
        let principal = context.principal
        // Nothing but a key can authorize this request: refuse before touching the database.
        guard principal != nil || allowSessionAuthentication else {
            throw await refusals.refuse("missing", request: request, context: context)
        }
        // A Bearer caller's own live session, as nearly every request is: one statement reads it,
        // and for a cached read also the stores and the cache entry the tool needs.
        if let principal, MCPSession.isWellFormedID(sessionID) {
            let opening = CallOpening(message: context.message, registry: registry, principal: principal)
            let rate = opening.rateScope.map { rateLimiter.openingRate(tenantID: principal.tenantID, scope: $0) }
            let snapshot = try await snapshots.open(
                tenantID: principal.tenantID, sessionID: sessionID, opening, rate: rate)
            if let session = snapshot.session(id: sessionID) { return (session, principal, snapshot) }
            // Not this tenant's live session: the call stops here or later without `consume`.
            rate?.release()
        }
        // Unknown, expired, unbound, another tenant's, or no key: who owns it decides.
        guard var session = try await sessions.find(id: sessionID) else {
            throw MCPError.invalidRequest("Session not found or expired; initialize a new session", status: .notFound)
        }
        if let principal {
            if let tenant = session.tenantID, tenant != principal.tenantID {
                throw MCPError.forbidden("This session belongs to another tenant.")
            }
            if session.tenantID == nil {
                session = try await sessions.bind(id: session.id, to: principal.tenantID)
            }
            return (session, principal, nil)
        }
        if let tenant = session.tenantID {
            switch try await sessionKeys.login(sessionID: session.id, tenantID: tenant) {
            case .active(let caller):
                return (session, caller, nil)
            case .withdrawn:
                // The key it logged in with was revoked (or its tenant disabled): the session is over,
                // so its id cannot keep writing refusal rows (the next request is a plain 404).
                _ = try? await sessions.end(id: session.id, tenantID: tenant)
                throw await refusals.refuse("session_key_revoked", request: request, context: context)
            case .none:
                // A Bearer client's session sent without its key: no credentials at all.
                throw await refusals.refuse("missing", request: request, context: context)
            }
        }
        guard isOpen else {
            throw await refusals.refuse("missing", request: request, context: context)
        }
        return (session, nil, nil)
    }
}
