import App
import Hummingbird
import JSON

/// `/mcp` for protocol 2026-07-28: no handshake, no session. Each request is served from what it
/// carries (`_meta`, checked by `RevisionMiddleware`, and its `Authorization` header), so any
/// replica serves any request with nothing shared but Postgres. Every result says
/// `resultType: "complete"` and names this server in `_meta`; JSON-RPC errors take the HTTP status
/// the transport assigns (404 unknown method, 400 bad params, 401 no credentials).
extension MCPEndpoint {
    /// How long a client may reuse `server/discover` and `tools/list` (the tool set changes only
    /// with a deployment).
    static let listTTLMilliseconds: Int64 = 300_000

    static let statelessInstructions = """
        Tools for OrderDesk stores. Send `Authorization: Bearer <master key>` with every request. Register \
        stores with stores_register; name the store with the `store` argument (a store id, OrderDesk store id or \
        name, or the store_handle that stores_use_store returns): this protocol revision keeps no session.
        """

    func serveStateless(_ request: Request, context: MCPRequestContext, version: String) async throws -> Response {
        guard case .request(let id, let method, let params) = context.message else {
            return Response(status: .accepted)  // notifications: this revision defines none to act on
        }
        do {
            switch method {
            case "server/discover":
                try admitWithoutKey(context)
                return answer(id, Self.discovery, context)
            case "tools/list":
                if let cursor = params["cursor"], cursor != .null {
                    throw MCPError.invalidParams("unknown cursor: this server never issued it")
                }
                try admitWithoutKey(context)
                let listed = pipeline.registry.statelessTools(for: context.principal)
                let tools: JSONValue = [
                    "tools": listed.tools, "ttlMs": .int(Self.listTTLMilliseconds),
                    "cacheScope": listed.isPrivate ? "private" : "public",
                ]
                return answer(id, tools, context)
            case "tools/call":
                guard context.principal != nil else {
                    throw await refusals.refuse("missing", request: request, context: context)
                }
                let caller = ToolCallPipeline.Caller(
                    principal: context.principal, session: nil, protocolVersion: version,
                    traceParent: context.traceParent, correlationID: context.correlationID, clientIP: context.clientIP,
                    userAgent: request.headers[.userAgent],
                    logger: logger.with(requestID: context.correlationID, traceParent: context.traceParent))
                let result = try await pipeline.call(params: params, caller: caller)
                return Response.json(
                    .ok, encoded: result.responseBody(id: id, serverInfo: Self.serverInfo),
                    correlationID: context.correlationID)
            default:
                throw MCPError.methodNotFound(AuditParameters.capped(method, 100))
            }
        } catch {
            throw MCPError(from: error).answering(id)
        }
    }

    /// `server/discover` and `tools/list` need no key (they say nothing about any tenant), but a
    /// keyless request is charged against its address's unauthenticated budget.
    private func admitWithoutKey(_ context: MCPRequestContext) throws {
        if context.principal == nil { try refusals.chargeUnauthenticated(context) }
    }

    private func answer(_ id: JSONValue, _ result: JSONValue, _ context: MCPRequestContext) -> Response {
        var members = result.objectValue ?? [:]
        members["resultType"] = "complete"
        members["_meta"] = [RequestEnvelope.serverInfoKey: Self.serverInfo]
        return Response.json(.ok, JSONRPCResponse.result(id: id, .object(members)), correlationID: context.correlationID)
    }

    /// `server/discover`: the revisions, capabilities and identity of this server (identity also at
    /// the top level, where earlier drafts of the revision put it).
    static let discovery: JSONValue = [
        "supportedVersions": .array(ProtocolVersion.supported.map(JSONValue.string)),
        "capabilities": ["tools": ["listChanged": false]],
        "serverInfo": serverInfo,
        "instructions": .string(statelessInstructions),
        "ttlMs": .int(listTTLMilliseconds),
        "cacheScope": "public",
    ]
}
