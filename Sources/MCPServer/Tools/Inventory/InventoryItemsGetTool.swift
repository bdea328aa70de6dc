import App
import JSON

/// `inventory_items_get` (alias `products_get`): one inventory item by id or SKU, always fresh.
struct InventoryItemsGetTool: Tool {
    let name = "inventory_items_get"
    let aliases = ["products_get"]
    let title = "Get an inventory item"
    let description = """
        Fetch one inventory item (product) of the chosen store by its integer `item_id` or its exact SKU \
        (`code`), with its current `stock`. Not cached: every call asks OrderDesk. Unknown id or SKU → \
        `not_found`. Also callable as `products_get`.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false,
        "properties": [
            "item_id": InventorySchemas.itemID, "code": InventorySchemas.code, "store": StoreArgument.schema,
        ],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["item", "store"],
        "properties": ["item": InventorySchemas.item, "store": OrderSchemas.storeJSON],
    ]
    let annotations = ToolAnnotations.read
    let requiredScope = KeyScope.read

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let reference = try InventorySchemas.reference(arguments)
        context.callAudit.target(reference.description)
        let store = try await StoreSelection.store(for: arguments, context: context)
        let item = try await context.services.orders.inventory.get(
            tenantID: try context.tenantID(), store: store, item: reference)
        return ["item": item, "store": store.json]
    }
}
