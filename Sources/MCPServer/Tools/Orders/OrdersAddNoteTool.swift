import App
import JSON
import OrderDesk

/// `orders_add_note`: appends an entry to an order's history.
struct OrdersAddNoteTool: Tool {
    let name = "orders_add_note"
    let title = "Add a note to an order's history"
    let description = """
        Append a note to an order's history in OrderDesk (1 to 1800 characters). History is append-only: a note \
        cannot be edited or removed afterwards. Returns the order with its `order_history`; orders_get with \
        `include_history` shows it too.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["order_id", "note"],
        "properties": [
            "order_id": OrderSchemas.orderID,
            "note": [
                "type": "string", "minLength": 1, "maxLength": .int(Int64(OrderMerge.maximumNoteLength)),
                "description": "The note text. OrderDesk keeps at most 1800 characters.",
            ],
            "source_name": [
                "type": "string", "minLength": 1, "maxLength": 100,
                "description": "Who wrote the note, as shown in OrderDesk (default: API).",
            ],
            "store": StoreArgument.schema,
        ],
    ]
    let outputSchema = OrderSchemas.changedOrder
    let annotations = ToolAnnotations(readOnly: false, destructive: false, idempotent: false, openWorld: true)
    let requiredScope = KeyScope.write

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let orderID = try arguments.requiredString("order_id")
        let note = try arguments.requiredString("note")
        context.callAudit.target(orderID)
        let store = try await StoreSelection.store(for: arguments, context: context)
        try await context.callAudit.start()
        let order = try await context.services.orders.addNote(
            tenantID: try context.tenantID(), store: store, orderID: orderID, note: note,
            sourceName: arguments.string("source_name"))
        return ["order": order, "store": store.json]
    }
}
