import App
import JSON

/// `stores_use_store`: picks the store the order tools use when they get no `store` argument.
///
/// In a 2025 session it becomes the session's active store (kept in Postgres, so every replica sees
/// it). 2026-07-28 has no session and the server keeps no state between calls: the tool resolves
/// the store and returns its `store_handle` (the store's uuid: server-minted, opaque, checked against
/// the caller's tenant on every call, never a credential) for the client to pass as `store`.
struct StoresUseStoreTool: Tool {
    let name = "stores_use_store"
    let title = "Choose the active store"
    let description = """
        Choose a store by uuid, OrderDesk store id or name. In an MCP session (protocol 2025-11-25 and \
        earlier) it becomes the session's active store, used by store-scoped tools that get no `store` argument, \
        on every server replica. Protocol 2026-07-28 has no sessions: nothing is remembered, so pass the returned \
        `store_handle` as the `store` argument of later calls (`remembered` says which happened).
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["store"], "properties": ["store": StoreArgument.schema],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["active_store", "matched_by", "store_handle", "remembered"],
        "properties": [
            "active_store": RegisteredStore.schema, "matched_by": ["type": "string", "enum": ["id", "name"]],
            "store_handle": [
                "type": "string", "format": "uuid",
                "description": "Pass as `store` to store-scoped tools; valid as long as the store is registered.",
            ],
            "remembered": [
                "type": "boolean",
                "description": "true: the session remembers the store; false (2026-07-28): pass `store_handle` on each call.",
            ],
        ],
    ]
    let annotations = ToolAnnotations(readOnly: false, destructive: false, idempotent: true, openWorld: false)
    let requiredScope = KeyScope.read

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let (store, match) = try await StoreArgument.resolve(try arguments.requiredString("store"), context: context)
        if let session = context.session {
            _ = try await context.services.sessions.setActiveStore(
                id: session.id, tenantID: try context.tenantID(), storeID: store.id)
        }
        return [
            "active_store": store.json, "matched_by": .string(match.rawValue),
            "store_handle": .string(store.id.uuidString.lowercased()), "remembered": .bool(context.session != nil),
        ]
    }
}
