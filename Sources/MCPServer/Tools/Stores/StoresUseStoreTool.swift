import App
import JSON

/// `stores_use_store`: sets the session's active store (kept in Postgres, so every replica sees it).
struct StoresUseStoreTool: Tool {
    let name = "stores_use_store"
    let title = "Choose the active store"
    let description = """
        Make a store the active store of this MCP session, by uuid, OrderDesk store id or name. Store-scoped \
        tools use it when they get no `store` argument. It persists for the session on every server replica.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["store"], "properties": ["store": StoreArgument.schema],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["active_store", "matched_by"],
        "properties": ["active_store": RegisteredStore.schema, "matched_by": ["type": "string", "enum": ["id", "name"]]],
    ]
    let annotations = ToolAnnotations(readOnly: false, destructive: false, idempotent: true, openWorld: false)
    let requiredScope = KeyScope.read

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let (store, match) = try await StoreArgument.resolve(try arguments.requiredString("store"), context: context)
        _ = try await context.services.sessions.setActiveStore(
            id: context.session.id, tenantID: try context.tenantID(), storeID: store.id)
        return ["active_store": store.json, "matched_by": .string(match.rawValue)]
    }
}
