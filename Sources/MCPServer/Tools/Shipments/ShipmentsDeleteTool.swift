import App
import JSON

/// `shipments_delete`: removes one shipment from an order.
struct ShipmentsDeleteTool: Tool {
    let name = "shipments_delete"
    let title = "Delete a shipment"
    let description = """
        Delete one shipment (by its id, from shipments_list) from an OrderDesk order. An unknown order or \
        shipment is `not_found`. The order's cached copies are dropped on every replica.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["order_id", "shipment_id"],
        "properties": [
            "order_id": OrderSchemas.orderID, "shipment_id": ShipmentSchemas.shipmentID, "store": StoreArgument.schema,
        ],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["deleted", "order_id", "shipment_id", "store"],
        "properties": [
            "deleted": ["type": "boolean"], "order_id": ["type": "string"], "shipment_id": ["type": "string"],
            "store": OrderSchemas.storeJSON,
        ],
    ]
    let annotations = ToolAnnotations(readOnly: false, destructive: true, idempotent: true, openWorld: true)
    let requiredScope = KeyScope.write

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let orderID = try arguments.requiredString("order_id")
        let shipmentID = try arguments.requiredString("shipment_id")
        context.callAudit.target(orderID)
        let store = try await StoreSelection.store(for: arguments, context: context)
        try await context.callAudit.start()
        try await context.services.orders.deleteShipment(
            tenantID: try context.tenantID(), store: store, orderID: orderID, shipmentID: shipmentID)
        return [
            "deleted": true, "order_id": .string(orderID), "shipment_id": .string(shipmentID), "store": store.json,
        ]
    }
}
