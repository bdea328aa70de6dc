import App
import JSON

/// `stores_register`: adds an OrderDesk store after checking its credentials with OrderDesk.
struct StoresRegisterTool: Tool {
    let name = "stores_register"
    let title = "Register an OrderDesk store"
    let description = """
        Register an OrderDesk store for this tenant with its store id and API key (OrderDesk: Store Settings → API). \
        The credentials are checked against OrderDesk first, then the API key is stored encrypted; it is never \
        shown again.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["store_id", "api_key"],
        "properties": [
            "store_id": ["type": "string", "minLength": 1, "maxLength": 20, "description": "OrderDesk store id (digits)."],
            "api_key": ["type": "string", "minLength": 1, "maxLength": 200, "description": "OrderDesk API key."],
            "name": [
                "type": "string", "minLength": 1, "maxLength": 100,
                "description": "A name to refer to the store by (unique, any case).",
            ],
            "label": ["type": "string", "maxLength": 200, "description": "Free-form note."],
        ],
    ]
    let outputSchema: JSONValue = ["type": "object", "required": ["store"], "properties": ["store": RegisteredStore.schema]]
    let annotations = ToolAnnotations(readOnly: false, destructive: false, idempotent: false, openWorld: true)
    let requiredScope = KeyScope.write
    let managesStores = true

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let storeID = try arguments.requiredString("store_id")
        context.callAudit.store(storeID)
        try await context.callAudit.start()
        let store = try await context.services.stores.register(
            tenantID: try context.tenantID(), storeID: storeID,
            apiKey: try arguments.requiredString("api_key"), name: arguments.string("name"), label: arguments.string("label"))
        return ["store": store.json]
    }
}
