import App
import JSON

/// `tenant_use_master_key`: authenticates the session for clients that cannot send headers.
struct UseMasterKeyTool: Tool {
    let name = "tenant_use_master_key"
    let title = "Authenticate this session"
    let description = """
        Authenticate this MCP session with a tenant master key (odmk_…), for clients that cannot send an \
        Authorization header. Afterwards the session id authorizes this session's requests. A session belongs \
        to one tenant for life.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["master_key"],
        "properties": [
            "master_key": ["type": "string", "minLength": 1, "maxLength": 200, "description": "The tenant master key."]
        ],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["tenant_id", "store_count"],
        "properties": ["tenant_id": ["type": "string"], "store_count": ["type": "integer"]],
    ]
    let annotations = ToolAnnotations(readOnly: false, destructive: false, idempotent: true, openWorld: false)
    let requiredScope = KeyScope.read
    let allowedWithoutTenant = true
    /// 2026-07-28 has no session to authenticate: the key goes in `Authorization` on every request.
    let needsSession = true

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let key = try arguments.requiredString("master_key")
        let principal = try await context.services.authenticator.authenticate(masterKey: key, clientIP: context.clientIP)
        context.callAudit.tenant(principal.tenantID)
        if let current = context.principal, current.tenantID != principal.tenantID {
            throw MCPError.forbidden("This session belongs to another tenant; start a new session for this key.")
        }
        guard let session = context.session else { throw MCPError.invalidParams("\(name) needs a session") }
        _ = try await context.services.sessions.bind(id: session.id, to: principal.tenantID)
        try await context.services.sessionKeys.attach(sessionID: session.id, principal: principal)
        let stores = StoreAccess.visible(
            try await context.services.stores.list(tenantID: principal.tenantID), to: principal)
        return ["tenant_id": .string(principal.tenantID.uuidString.lowercased()), "store_count": .int(Int64(stores.count))]
    }
}
