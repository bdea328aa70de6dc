import App
import JSON

/// `orders_update`: the safe merge workflow (fetch → deep merge → full PUT), serialized per order.
struct OrdersUpdateTool: Tool {
    let name = "orders_update"
    let title = "Update an order"
    let description = """
        Change an order safely: the current order is fetched, `changes` are deep-merged into it and the whole \
        order is written back (OrderDesk has no partial update). Objects merge field by field, `null` clears a \
        field, `order_items` entries match by `id` (no id = new item, `{"id": …, "delete": true}` removes one), \
        `order_notes` entries are appended. Concurrent updates of one order are serialized and retried on \
        conflicts, so none is lost. Pass `expected_date_updated` (the order's `date_updated` you last saw) to \
        fail with `conflict` instead of overwriting someone else's newer change.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["order_id", "changes"],
        "properties": [
            "order_id": OrderSchemas.orderID,
            "changes": ["type": "object", "description": "Fields to change, in OrderDesk's order shape."],
            "expected_date_updated": [
                "type": "string", "minLength": 1, "maxLength": 40,
                "description": "Optimistic concurrency: the order's date_updated, e.g. 2026-11-26 14:00:00.",
            ],
            "store": StoreArgument.schema,
        ],
    ]
    let outputSchema = OrderSchemas.changedOrder
    let annotations = ToolAnnotations(readOnly: false, destructive: false, idempotent: false, openWorld: true)
    let requiredScope = KeyScope.write

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let orderID = try arguments.requiredString("order_id")
        context.callAudit.target(orderID)
        let store = try await StoreSelection.store(for: arguments, context: context)
        guard let changes = arguments.values["changes"] else { throw MCPError.validation("`changes` is required") }
        try await context.callAudit.start()
        let order = try await context.services.orders.update(
            tenantID: try context.tenantID(), store: store, orderID: orderID,
            changes: changes, expectedDateUpdated: arguments.string("expected_date_updated"))
        return ["order": order, "store": store.json]
    }
}
