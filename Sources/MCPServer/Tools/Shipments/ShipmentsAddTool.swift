import App
import JSON
import OrderDesk

/// `shipments_add`: one shipment or a batch, to one order or several, with a result per shipment.
struct ShipmentsAddTool: Tool {
    let name = "shipments_add"
    let title = "Add shipments (tracking numbers)"
    let description = """
        Add tracking to OrderDesk orders: 1 to \(OrderService.maximumShipmentBatch) shipments, each naming its \
        order, in one call (several are sent as one OrderDesk batch). Each shipment gets its own result: `added`; \
        `duplicate` when the order already has a shipment with that tracking number and carrier (or the call \
        names it twice) — nothing new is stored and this is not an error; `not_found` when the order does not \
        exist; `failed` with an `error` otherwise. The touched orders' cached copies are dropped on every \
        replica, so orders_get shows the new shipments.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["shipments"],
        "properties": [
            "shipments": [
                "type": "array", "minItems": 1, "maxItems": .int(Int64(OrderService.maximumShipmentBatch)),
                "items": ShipmentSchemas.newShipment,
                "description": "The shipments to add, each with its order_id.",
            ],
            "store": StoreArgument.schema,
        ],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["results", "added", "duplicates", "failed", "store"],
        "properties": [
            "results": [
                "type": "array",
                "items": [
                    "type": "object", "required": ["index", "order_id", "tracking_number", "carrier_code", "status"],
                    "properties": [
                        "index": ["type": "integer", "description": "Position in `shipments`, from 0."],
                        "order_id": ["type": "string"], "tracking_number": ["type": "string"],
                        "carrier_code": ["type": "string"],
                        "status": [
                            "type": "string", "enum": .array(ShipmentAddition.Status.allCases.map { .string($0.rawValue) }),
                        ],
                        "shipment_id": [
                            "type": "string",
                            "description": "The new shipment's id, or the existing one for a duplicate, when known.",
                        ],
                        "shipment": ShipmentSchemas.shipment,
                        "error": [
                            "type": "object", "required": ["code", "message"],
                            "properties": ["code": ["type": "string"], "message": ["type": "string"]],
                        ],
                    ],
                ],
            ],
            "added": ["type": "integer"], "duplicates": ["type": "integer"],
            "failed": ["type": "integer", "description": "Shipments `not_found` or `failed`."],
            "store": OrderSchemas.storeJSON,
        ],
    ]
    // Not idempotent: shipments without a tracking number (`n/a`) are never duplicates.
    let annotations = ToolAnnotations(readOnly: false, destructive: false, idempotent: false, openWorld: true)
    let requiredScope = KeyScope.write

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let values = arguments.values["shipments"]?.arrayValue ?? []
        let entries = try values.enumerated().map { index, value in
            try ShipmentSchemas.batchEntry(value, path: "shipments[\(index)]")
        }
        var orderIDs: [String] = []
        for entry in entries where !orderIDs.contains(entry.orderID) { orderIDs.append(entry.orderID) }
        context.callAudit.target(orderIDs.joined(separator: ","))
        let store = try await StoreSelection.store(for: arguments, context: context)
        try await context.callAudit.start()
        let additions = try await context.services.orders.addShipments(
            tenantID: try context.tenantID(), store: store, entries)

        let results: [JSONValue] = zip(entries, additions).enumerated().map { index, pair in
            let (entry, addition) = pair
            var result: [String: JSONValue] = [
                "index": .int(Int64(index)), "order_id": .string(entry.orderID),
                "tracking_number": .string(entry.shipment.trackingNumber),
                "carrier_code": .string(entry.shipment.carrierCode ?? ""), "status": .string(addition.status.rawValue),
            ]
            if let id = addition.shipmentID { result["shipment_id"] = .string(id) }
            if let shipment = addition.shipment { result["shipment"] = shipment }
            if let error = addition.error {
                let mapped = MCPError(from: error)
                result["error"] = ["code": .string(mapped.code.rawValue), "message": .string(mapped.message)]
            }
            return .object(result)
        }
        let count = { (statuses: Set<ShipmentAddition.Status>) in
            JSONValue.int(Int64(additions.filter { statuses.contains($0.status) }.count))
        }
        return [
            "results": .array(results), "added": count([.added]), "duplicates": count([.duplicate]),
            "failed": count([.notFound, .failed]), "store": store.json,
        ]
    }
}
