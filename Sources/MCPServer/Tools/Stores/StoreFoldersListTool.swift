import App
import JSON

/// `store_folders_list`: the store's folders (ids and names), through the shared cache.
struct StoreFoldersListTool: Tool {
    let name = "store_folders_list"
    let title = "List the store's folders"
    let description = """
        List the folders of an OrderDesk store (`store` argument, else the session's active store, else the only \
        store): their ids and exact names, as used by orders_move and the folder filters of orders_list. Every \
        order lives in exactly one folder. Answers may come from a cache shared by all replicas for up to 5 \
        minutes; `cached` says which.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "properties": ["store": StoreArgument.schema],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["folders", "cached", "store"],
        "properties": [
            "folders": [
                "type": "array",
                "items": [
                    "type": "object", "required": ["id", "name"],
                    "properties": ["id": ["type": "integer"], "name": ["type": "string"]],
                ],
            ],
            "cached": ["type": "boolean"], "store": OrderSchemas.storeJSON,
        ],
    ]
    let annotations = ToolAnnotations.read
    let requiredScope = KeyScope.read

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let store = try await StoreSelection.store(for: arguments, context: context)
        let (folders, cached) = try await context.services.orders.folders(tenantID: try context.tenantID(), store: store)
        return ["folders": .array(folders.map(\.json)), "cached": .bool(cached), "store": store.json]
    }
}
