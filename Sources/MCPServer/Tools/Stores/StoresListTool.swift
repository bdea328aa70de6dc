import App
import JSON

/// `stores_list`: the tenant's stores, never their credentials.
struct StoresListTool: Tool {
    let name = "stores_list"
    let title = "List registered stores"
    let description =
        "List this tenant's registered OrderDesk stores (never their API keys) and the session's active store; a key limited to some stores sees only those."
    let inputSchema: JSONValue = ["type": "object", "additionalProperties": false, "properties": [:]]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["stores", "active_store_id"],
        "properties": [
            "stores": ["type": "array", "items": RegisteredStore.schema],
            "active_store_id": ["type": ["string", "null"]],
        ],
    ]
    let annotations = ToolAnnotations.localRead
    let requiredScope = KeyScope.read

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let all = try await context.services.stores.list(tenantID: try context.tenantID())
        // A key limited to some stores sees only those, and no active store chosen outside them.
        let stores = StoreAccess.visible(all, to: context.principal)
        let active = context.session?.activeStoreID.flatMap { id in stores.contains { $0.id == id } ? id : nil }
        return [
            "stores": .array(stores.map(\.json)),
            "active_store_id": active.map { .string($0.uuidString.lowercased()) } ?? .null,
        ]
    }
}
