import App
import JSON

/// `orders_delete`: deletes an order in OrderDesk.
struct OrdersDeleteTool: Tool {
    let name = "orders_delete"
    let title = "Delete an order"
    let description = """
        Permanently delete an order in OrderDesk. This cannot be undone; confirm with the user first. Cached \
        copies are dropped on every replica.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["order_id"],
        "properties": ["order_id": OrderSchemas.orderID, "store": StoreArgument.schema],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["deleted", "order_id", "store"],
        "properties": [
            "deleted": ["type": "boolean"], "order_id": ["type": "string"], "store": OrderSchemas.storeJSON,
        ],
    ]
    let annotations = ToolAnnotations(readOnly: false, destructive: true, idempotent: true, openWorld: true)
    let requiredScope = KeyScope.write

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let orderID = try arguments.requiredString("order_id")
        context.callAudit.target(orderID)
        let store = try await StoreSelection.store(for: arguments, context: context)
        try await context.callAudit.start()
        try await context.services.orders.delete(tenantID: try context.tenantID(), store: store, orderID: orderID)
        return ["deleted": true, "order_id": .string(orderID), "store": store.json]
    }
}
