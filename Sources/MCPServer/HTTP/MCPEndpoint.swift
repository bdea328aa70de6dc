import App
import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging
import NIOCore
import Postgres

/// `/mcp`: the Streamable HTTP transport. Each POST carries one JSON-RPC message and gets one JSON
/// answer on the same HTTP exchange, so two requests with the same JSON-RPC id can never receive
/// each other's responses. Session state lives in Postgres: any replica serves any session.
struct MCPEndpoint: Sendable {
    let services: ServerServices
    let pipeline: ToolCallPipeline
    let validation: RequestValidation
    let allowSessionAuthentication: Bool
    let authFailureAudit: AuthFailureAuditSampler
    let trustedProxies: TrustedProxies
    let maximumBodyBytes: Int
    let logger: Logger

    static let serverInfo: JSONValue = ["name": "orderdesk-mcp", "title": "OrderDesk MCP", "version": "0.1.0"]
    static let instructions = """
        Tools for OrderDesk stores. Authenticate with `Authorization: Bearer <master key>` (or call \
        tenant_use_master_key), register stores with stores_register, pick one with stores_use_store.
        """

    private func exchange(_ request: Request, _ context: MCPRequestContext) -> Exchange {
        let forwarded = request.headers[values: .xForwardedFor]
        return Exchange(
            request: request, context: context,
            clientIP: trustedProxies.clientAddress(peer: context.clientIP, forwardedFor: forwarded))
    }

    // MARK: POST

    func post(_ request: Request, context: MCPRequestContext) async -> Response {
        let exchange = exchange(request, context)
        // Authentication comes before the body: an unauthenticated caller learns nothing about it.
        let principal: TenantPrincipal?
        switch await admit(exchange, isPost: true) {
        case .success(let found): principal = found
        case .failure(let failure): return failure.response
        }

        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maximumBodyBytes)
        } catch {
            return exchange.failure(
                .contentTooLarge, .invalidRequest("the body is larger than \(maximumBodyBytes / 1024) KiB"))
        }
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.parse(Data(buffer: body))
        } catch {
            return exchange.failure(.badRequest, error.error, id: error.id)
        }

        switch message {
        case .request(let id, "initialize", let params):
            return await initialize(id: id, params: params, principal: principal, exchange: exchange)
        case .request(let id, let method, let params):
            switch await resolveSession(exchange, principal: principal, method: method, params: params, id: id) {
            case .failure(let failure): return failure.response
            case .success(let (session, caller)):
                return await dispatch(id: id, method: method, params: params, session: session, principal: caller, exchange)
            }
        case .notification(let method):
            if case .failure(let failure) = await resolveSession(
                exchange, principal: principal, method: method, params: [:], id: nil)
            {
                return failure.response
            }
            return exchange.accepted()
        case .response:
            return exchange.accepted()
        }
    }

    // MARK: GET / DELETE

    func get(_ request: Request, context: MCPRequestContext) async -> Response {
        let exchange = exchange(request, context)
        var response = exchange.failure(
            .methodNotAllowed, .invalidRequest("this server sends no server-initiated stream; use POST"))
        response.headers[.allow] = "POST, DELETE"
        return response
    }

    /// PUT, PATCH, OPTIONS: 405 naming the methods `/mcp` has (no CORS preflight is offered).
    func otherMethod(_ request: Request, context: MCPRequestContext) -> Response {
        let exchange = exchange(request, context)
        var response = exchange.failure(
            .methodNotAllowed,
            .invalidRequest("\(request.method) is not supported on /mcp; use POST (and DELETE to end a session)"))
        response.headers[.allow] = "POST, DELETE"
        return response
    }

    func delete(_ request: Request, context: MCPRequestContext) async -> Response {
        let exchange = exchange(request, context)
        let principal: TenantPrincipal?
        switch await admit(exchange, isPost: false) {
        case .success(let found): principal = found
        case .failure(let failure): return failure.response
        }
        switch await resolveSession(exchange, principal: principal, method: "session/delete", params: [:], id: nil) {
        case .failure(let failure):
            return failure.response
        case .success(let (session, _)):
            do {
                _ = try await services.sessions.end(id: session.id, tenantID: session.tenantID)
                return exchange.empty(.noContent)
            } catch {
                return exchange.unexpectedFailure(error, logger: logger)
            }
        }
    }

    // MARK: Steps

    /// What every POST and DELETE passes first: the Origin and header checks, then authentication.
    private func admit(_ exchange: Exchange, isPost: Bool) async -> Result<TenantPrincipal?, ResponseFailure> {
        do {
            try validation.checkOrigin(exchange.request)
            if isPost {
                try validation.checkPost(exchange.request)
            } else {
                try validation.checkProtocolVersion(exchange.request)
            }
        } catch {
            return .failure(ResponseFailure(response: exchange.failure(error.status, error.error)))
        }
        return await authenticate(exchange)
    }

    /// Bearer authentication. No header → nil (session authentication may still apply).
    private func authenticate(_ exchange: Exchange) async -> Result<TenantPrincipal?, ResponseFailure> {
        guard let header = exchange.request.headers[.authorization] else {
            return .success(nil)
        }
        guard let key = BearerToken.parse(header) else {
            return .failure(await rejectAuthentication(exchange, reason: "malformed_header"))
        }
        do {
            return .success(try await services.authenticator.authenticate(masterKey: key, clientIP: exchange.clientIP))
        } catch let failure as AuthenticationFailure {
            if failure.reason == .tooManyAttempts {
                var response = exchange.failure(
                    .tooManyRequests, .unauthorized("Too many failed authentication attempts; retry later.", code: "rate_limited")
                )
                response.headers[.retryAfter] = String(failure.retryAfterSeconds ?? 60)
                await auditAuthFailure(exchange, reason: failure.reason.rawValue)
                return .failure(ResponseFailure(response: response))
            }
            return .failure(await rejectAuthentication(exchange, reason: failure.reason.rawValue))
        } catch {
            return .failure(ResponseFailure(response: exchange.unexpectedFailure(error, logger: logger)))
        }
    }

    private func rejectAuthentication(_ exchange: Exchange, reason: String, id: JSONValue? = nil) async -> ResponseFailure {
        await auditAuthFailure(exchange, reason: reason)
        var response = exchange.failure(
            .unauthorized,
            .unauthorized("Authentication failed: send `Authorization: Bearer <master key>` with a valid, unrevoked key."), id: id
        )
        // RFC 6750 §3.1: a request that carried no credentials at all gets no error code.
        response.headers[.wwwAuthenticate] =
            reason == "missing" ? #"Bearer realm="orderdesk-mcp""# : #"Bearer realm="orderdesk-mcp", error="invalid_token""#
        return ResponseFailure(response: response)
    }

    /// An `auth.failed` row, unless this address (or the replica) has had its share this minute
    /// (`AuthFailureAuditSampler`): then only metrics count it, and the replica's next refusal
    /// after the minute writes one summary row. Revoked keys and disabled tenants always get a row.
    private func auditAuthFailure(_ exchange: Exchange, reason: String) async {
        let (decision, ended) = authFailureAudit.decide(address: exchange.clientIP, reason: reason)
        if let ended { await auditSuppressed(ended, correlationID: exchange.correlationID) }
        guard decision == .write else { return }
        var record = AuditRecord(
            tenantID: nil, correlationID: exchange.correlationID, actor: nil, action: "auth.failed",
            params: ["reason": .string(reason)], outcome: "denied")
        record.clientIP = exchange.clientIP
        record.userAgent = exchange.request.headers[.userAgent].map { String($0.prefix(300)) }
        record.errorCode = "unauthorized"
        do {
            try await services.audit.record(record)
        } catch {
            logger.error("could not audit an authentication failure", metadata: ["request_id": "\(exchange.correlationID)"])
        }
    }

    /// The summary row of a minute whose refused logins were not all audited, once it is over
    /// (called every 15 s by `serve`; a refusal after the minute may get there first).
    func auditSuppressedAuthFailures() async {
        guard let ended = authFailureAudit.endWindowIfOver() else { return }
        await auditSuppressed(ended, correlationID: UUID().uuidString.lowercased())
    }

    private func auditSuppressed(_ ended: AuthFailureAuditSampler.Suppressed, correlationID: String) async {
        let window = ended.windowStart.formatted(.iso8601)
        var summary = AuditRecord(
            tenantID: nil, correlationID: correlationID, actor: nil, action: "auth.failed.suppressed",
            params: [
                "attempts": .int(Int64(ended.attempts)), "addresses": .int(Int64(ended.addresses)),
                "window_start": .string(window), "window_seconds": .int(Int64(AuthFailureAuditSampler.windowSeconds)),
            ],
            outcome: "denied")
        summary.errorCode = "unauthorized"
        let counts: Logger.Metadata = [
            "attempts": "\(ended.attempts)", "addresses": "\(ended.addresses)", "window_start": "\(window)",
        ]
        logger.warning("authentication failures without an audit row in an ended window", metadata: counts)
        do {
            try await services.audit.record(summary)
        } catch {
            logger.error(
                "could not audit the count of authentication failures without a row",
                metadata: counts.merging(["request_id": "\(correlationID)"]) { $1 })
        }
    }

    private func initialize(
        id: JSONValue, params: [String: JSONValue], principal: TenantPrincipal?, exchange: Exchange
    ) async -> Response {
        guard principal != nil || allowSessionAuthentication else {
            return await rejectAuthentication(exchange, reason: "missing", id: id).response
        }
        let initialization: InitializeParameters
        do {
            initialization = try InitializeParameters(params)
        } catch {
            return exchange.failure(.badRequest, error, id: id)
        }
        let version = ProtocolVersion.negotiate(initialization.protocolVersion)
        do {
            let session = try await services.sessions.create(
                tenantID: principal?.tenantID, protocolVersion: version, clientInfo: initialization.clientInfo)
            // The key is NOT remembered for Bearer sessions: their session id alone authorizes nothing
            // (only tenant_use_master_key makes a session id a credential), so a leaked id is harmless.
            let result: JSONValue = [
                "protocolVersion": .string(version),
                "capabilities": ["tools": ["listChanged": false]],
                "serverInfo": Self.serverInfo,
                "instructions": .string(Self.instructions),
            ]
            var response = exchange.json(.ok, JSONRPCResponse.result(id: id, result))
            response.headers[.mcpSessionID] = session.id
            return response
        } catch {
            return exchange.unexpectedFailure(error, logger: logger, id: id)
        }
    }

    /// Finds the request's session and decides who the caller is. Methods an unauthenticated
    /// session may use: ping, tools/list, and tools/call of tenant_use_master_key.
    private func resolveSession(
        _ exchange: Exchange, principal: TenantPrincipal?, method: String, params: [String: JSONValue], id: JSONValue?
    ) async -> Result<(MCPSession, TenantPrincipal?), ResponseFailure> {
        guard let sessionID = exchange.request.headers[.mcpSessionID], !sessionID.isEmpty else {
            return .failure(
                ResponseFailure(
                    response: exchange.failure(
                        .badRequest, .invalidRequest("Mcp-Session-Id header is required; call initialize first"), id: id)))
        }
        do {
            guard var session = try await services.sessions.find(id: sessionID, expectedTenant: principal?.tenantID) else {
                return .failure(
                    ResponseFailure(
                        response: exchange.failure(
                            .notFound, .invalidRequest("Session not found or expired; initialize a new session"), id: id)))
            }
            if let principal {
                if let tenant = session.tenantID, tenant != principal.tenantID {
                    return .failure(
                        ResponseFailure(
                            response: exchange.failure(
                                .forbidden, .unauthorized("This session belongs to another tenant.", code: "forbidden"),
                                id: id)))
                }
                if session.tenantID == nil {
                    session = try await services.sessions.bind(id: session.id, to: principal.tenantID)
                }
                return .success((session, principal))
            }
            guard allowSessionAuthentication else {
                return .failure(await rejectAuthentication(exchange, reason: "missing", id: id))
            }
            if let tenant = session.tenantID {
                guard let caller = try await services.sessionKeys.principal(sessionID: session.id, tenantID: tenant) else {
                    return .failure(await rejectAuthentication(exchange, reason: "session_key_revoked", id: id))
                }
                return .success((session, caller))
            }
            let open = ["ping", "tools/list", "notifications/initialized", "notifications/cancelled", "session/delete"]
            let isLogin =
                method == "tools/call"
                && ["tenant_use_master_key", "tenant.use_master_key"].contains(params["name"]?.stringValue ?? "")
            guard open.contains(method) || isLogin else {
                return .failure(await rejectAuthentication(exchange, reason: "missing", id: id))
            }
            return .success((session, nil))
        } catch {
            return .failure(ResponseFailure(response: exchange.unexpectedFailure(error, logger: logger, id: id)))
        }
    }

    private func dispatch(
        id: JSONValue, method: String, params: [String: JSONValue], session: MCPSession, principal: TenantPrincipal?,
        _ exchange: Exchange
    ) async -> Response {
        switch method {
        case "ping":
            return exchange.json(.ok, JSONRPCResponse.result(id: id, [:]))
        case "tools/list":
            // The whole list fits one page, so no cursor was ever issued: any cursor is not ours.
            if let cursor = params["cursor"], cursor != .null {
                return exchange.json(
                    .ok, JSONRPCResponse.error(id: id, .invalidParams("unknown cursor: this server never issued it")))
            }
            return exchange.json(.ok, JSONRPCResponse.result(id: id, pipeline.registry.listing))
        case "tools/call":
            let caller = ToolCallPipeline.Caller(
                principal: principal, session: session, correlationID: exchange.correlationID,
                clientIP: exchange.clientIP, userAgent: exchange.request.headers[.userAgent],
                logger: logger.with(requestID: exchange.correlationID))
            do {
                let result = try await pipeline.call(params: params, caller: caller)
                return exchange.json(.ok, encoded: result.responseBody(id: id))
            } catch {
                return exchange.json(.ok, JSONRPCResponse.error(id: id, error))
            }
        default:
            return exchange.json(.ok, JSONRPCResponse.error(id: id, .methodNotFound(String(method.prefix(100)))))
        }
    }
}

/// A finished response used as an early exit.
struct ResponseFailure: Error {
    let response: Response
}

extension Logger {
    func with(requestID: String) -> Logger {
        var copy = self
        copy[metadataKey: "request_id"] = "\(requestID)"
        return copy
    }
}

/// `Authorization: Bearer <token>` (scheme case-insensitive).
enum BearerToken {
    static func parse(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
