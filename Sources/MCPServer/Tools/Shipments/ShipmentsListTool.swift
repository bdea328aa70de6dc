import App
import JSON

/// `shipments_list`: an order's shipments, read from OrderDesk.
struct ShipmentsListTool: Tool {
    let name = "shipments_list"
    let title = "List an order's shipments"
    let description = """
        List the shipments of one OrderDesk order (tracking number, carrier, method, dates, shipment id) from the \
        chosen store (the `store` argument, else the session's active store, else the only store). Always read \
        from OrderDesk, not from a cache. Use the shipment id with shipments_delete.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["order_id"],
        "properties": ["order_id": OrderSchemas.orderID, "store": StoreArgument.schema],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["order_id", "shipments", "total", "store"],
        "properties": [
            "order_id": ["type": "string"], "shipments": ["type": "array", "items": ShipmentSchemas.shipment],
            "total": ["type": "integer"], "store": OrderSchemas.storeJSON,
        ],
    ]
    let annotations = ToolAnnotations.read
    let requiredScope = KeyScope.read

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let orderID = try arguments.requiredString("order_id")
        context.callAudit.target(orderID)
        let store = try await StoreSelection.store(for: arguments, context: context)
        let shipments = try await context.services.orders.listShipments(
            tenantID: try context.tenantID(), store: store, orderID: orderID)
        return [
            "order_id": .string(orderID), "shipments": .array(shipments), "total": .int(Int64(shipments.count)),
            "store": store.json,
        ]
    }
}
