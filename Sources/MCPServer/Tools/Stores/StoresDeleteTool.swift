import App
import JSON

/// `stores_delete`: removes a store registration and its encrypted credentials.
struct StoresDeleteTool: Tool {
    let name = "stores_delete"
    let title = "Remove a store registration"
    let description = """
        Remove a registered store (by uuid, OrderDesk store id or name) and its stored credentials from this \
        server. Nothing is deleted in OrderDesk itself. Sessions using it as their active store lose it.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["store"], "properties": ["store": StoreArgument.schema],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["deleted", "store"],
        "properties": ["deleted": ["type": "boolean"], "store": RegisteredStore.schema],
    ]
    let annotations = ToolAnnotations(readOnly: false, destructive: true, idempotent: false, openWorld: false)
    let requiredScope = KeyScope.write
    let managesStores = true

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let (store, _) = try await StoreArgument.resolve(try arguments.requiredString("store"), context: context)
        try await context.callAudit.start()
        let deleted = try await context.services.stores.delete(tenantID: try context.tenantID(), id: store.id)
        guard deleted else { throw MCPError.notFound("The store was already removed.") }
        return ["deleted": true, "store": store.json]
    }
}
