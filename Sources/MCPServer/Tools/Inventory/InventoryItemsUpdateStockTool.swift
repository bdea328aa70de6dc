import App
import JSON

/// `inventory_items_update_stock`: set or adjust one item's stock (fetch → change → full PUT),
/// serialized per item across replicas.
struct InventoryItemsUpdateStockTool: Tool {
    let name = "inventory_items_update_stock"
    let title = "Update an inventory item's stock"
    let description = """
        Set (`stock`) or adjust (`delta`, e.g. -2 or 5) the available units of one inventory item, named by \
        `item_id` or exact SKU (`code`); give exactly one of `stock` and `delta`. The current item is fetched, \
        its stock changed and the whole item written back (OrderDesk has no partial update); concurrent changes \
        of one item are serialized, so two `delta: 1` calls add 2. A delta that would leave a negative stock \
        fails with `validation_error` and writes nothing. Returns the stored item, `previous_stock` and `stock`.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false,
        "properties": [
            "item_id": InventorySchemas.itemID, "code": InventorySchemas.code,
            "stock": ["type": "integer", "minimum": 0, "description": "The new number of units available."],
            "delta": [
                "type": "integer", "minimum": -1_000_000_000, "maximum": 1_000_000_000,
                "description": "Units to add (negative: remove) to the current stock.",
            ],
            "store": StoreArgument.schema,
        ],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["item", "previous_stock", "stock", "store"],
        "properties": [
            "item": InventorySchemas.item, "previous_stock": ["type": "integer"], "stock": ["type": "integer"],
            "store": OrderSchemas.storeJSON,
        ],
    ]
    let annotations = ToolAnnotations(readOnly: false, destructive: false, idempotent: false, openWorld: true)
    let requiredScope = KeyScope.write

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let reference = try InventorySchemas.reference(arguments)
        context.callAudit.target(reference.description)
        let change: StockChange
        switch (arguments.int("stock"), arguments.int("delta")) {
        case (let stock?, nil): change = .set(stock)
        case (nil, let delta?): change = .adjust(by: delta)
        case (.some, .some): throw MCPError.validation("give either `stock` or `delta`, not both")
        case (nil, nil): throw MCPError.validation("`stock` (the new level) or `delta` (units to add or remove) is required")
        }
        let store = try await StoreSelection.store(for: arguments, context: context)
        try await context.callAudit.start()
        let update = try await context.services.orders.inventory.updateStock(
            tenantID: try context.tenantID(), store: store, item: reference, change: change)
        return [
            "item": update.item, "previous_stock": .int(update.previousStock), "stock": .int(update.stock),
            "store": store.json,
        ]
    }
}
