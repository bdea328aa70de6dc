import App
import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging

/// `/mcp`'s handlers, once the middlewares (`MCPRoutes`) have checked the request and put the
/// caller, the message and the session into the context. Each POST carries one JSON-RPC message and
/// gets one JSON answer on the same HTTP exchange, so two requests with the same JSON-RPC id can
/// never receive each other's responses. Session state lives in Postgres: any replica serves any
/// session.
struct MCPEndpoint: Sendable {
    let services: ServerServices
    let pipeline: ToolCallPipeline
    let allowSessionAuthentication: Bool
    let refusals: AuthenticationRefusals
    let logger: Logger

    static let serverInfo: JSONValue = ["name": "orderdesk-mcp", "title": "OrderDesk MCP", "version": "0.1.0"]
    static let instructions = """
        Tools for OrderDesk stores. Authenticate with `Authorization: Bearer <master key>` (or call \
        tenant_use_master_key), register stores with stores_register, pick one with stores_use_store.
        """

    // MARK: POST

    func post(_ request: Request, context: MCPRequestContext) async throws -> Response {
        if case .modern(let version, _) = context.revision {
            return try await serveStateless(request, context: context, version: version)
        }
        switch context.message {
        case .request(let id, "initialize", let params):
            return try await initialize(id: id, params: params, request: request, context: context)
        case .request(let id, let method, let params):
            guard let session = context.session else { throw MCPError.internalError }
            return await dispatch(id: id, method: method, params: params, session: session, request: request, context)
        case .notification, .response, nil:
            return Response(status: .accepted)
        }
    }

    private func initialize(
        id: JSONValue, params: [String: JSONValue], request: Request, context: MCPRequestContext
    ) async throws -> Response {
        guard context.principal != nil || allowSessionAuthentication else {
            throw await refusals.refuse("missing", request: request, context: context)
        }
        if context.principal == nil {
            try refusals.chargeUnauthenticated(context)
        }
        let initialization: InitializeParameters
        do {
            initialization = try InitializeParameters(params)
        } catch {
            throw error.answering(id)
        }
        let version = ProtocolVersion.negotiate(initialization.protocolVersion)
        let session: MCPSession
        do {
            session = try await services.sessions.create(
                tenantID: context.principal?.tenantID, protocolVersion: version, clientInfo: initialization.clientInfo)
        } catch {
            throw MCPError(from: error).answering(id)
        }
        // The key is NOT remembered for Bearer sessions: their session id alone authorizes nothing
        // (only tenant_use_master_key makes a session id a credential), so a leaked id is harmless.
        let result: JSONValue = [
            "protocolVersion": .string(version),
            "capabilities": ["tools": ["listChanged": false]],
            "serverInfo": Self.serverInfo,
            "instructions": .string(Self.instructions),
        ]
        var response = Response.json(.ok, JSONRPCResponse.result(id: id, result), correlationID: context.correlationID)
        response.headers[.mcpSessionID] = session.id
        return response
    }

    /// A method of an established session. Failures here are JSON-RPC errors in an HTTP 200.
    private func dispatch(
        id: JSONValue, method: String, params: [String: JSONValue], session: MCPSession, request: Request,
        _ context: MCPRequestContext
    ) async -> Response {
        func answer(_ result: JSONValue) -> Response {
            Response.json(.ok, JSONRPCResponse.result(id: id, result), correlationID: context.correlationID)
        }
        func refuse(_ error: MCPError) -> Response {
            Response.json(.ok, JSONRPCResponse.error(id: id, error.jsonRPC), correlationID: context.correlationID)
        }
        switch method {
        case "ping":
            return answer([:])
        case "tools/list":
            // The whole list fits one page, so no cursor was ever issued: any cursor is not ours.
            if let cursor = params["cursor"], cursor != .null {
                return refuse(.invalidParams("unknown cursor: this server never issued it"))
            }
            return answer(pipeline.registry.listing(for: context.principal))
        case "tools/call":
            let caller = ToolCallPipeline.Caller(
                principal: context.principal, session: session, protocolVersion: session.protocolVersion,
                traceParent: context.traceParent, correlationID: context.correlationID,
                clientIP: context.clientIP, userAgent: request.headers[.userAgent],
                logger: logger.with(requestID: context.correlationID, traceParent: context.traceParent),
                snapshot: context.snapshot)
            do {
                let result = try await pipeline.call(params: params, caller: caller)
                return Response.json(.ok, encoded: result.responseBody(id: id), correlationID: context.correlationID)
            } catch  where error.endsExchange {
                return error.answering(id).response(correlationID: context.correlationID)
            } catch {
                return refuse(error)
            }
        default:
            return refuse(.methodNotFound(AuditParameters.capped(method, 100)))
        }
    }

    // MARK: DELETE, and the methods /mcp does not have

    /// Ends the session (`SessionMiddleware` found it and checked the caller may end it).
    func delete(_ request: Request, context: MCPRequestContext) async throws -> Response {
        guard let session = context.session else { throw MCPError.internalError }
        _ = try await services.sessions.end(id: session.id, tenantID: session.tenantID)
        return Response(status: .noContent)
    }

    /// GET (no server-initiated stream is offered), PUT, PATCH, OPTIONS (no CORS preflight): 405
    /// naming the methods `/mcp` has.
    func methodNotAllowed(_ request: Request, context: MCPRequestContext) throws -> Response {
        if let version = request.headers[.mcpProtocolVersion], ProtocolVersion.isModern(version) {
            var failure = MCPError.invalidRequest(
                "\(version) has no server-initiated stream and no sessions; use POST", status: .methodNotAllowed)
            failure.allow = "POST"
            throw failure
        }
        var failure =
            request.method == .get
            ? MCPError.invalidRequest("this server sends no server-initiated stream; use POST", status: .methodNotAllowed)
            : MCPError.invalidRequest(
                "\(request.method) is not supported on /mcp; use POST (and DELETE to end a session)",
                status: .methodNotAllowed)
        failure.allow = "POST, DELETE"
        throw failure
    }
}
