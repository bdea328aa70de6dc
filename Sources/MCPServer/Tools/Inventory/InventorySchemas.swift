import App
import JSON

/// Schema pieces and argument reading shared by the inventory tools.
enum InventorySchemas {
    static let itemID: JSONValue = [
        "type": "integer", "minimum": 1, "description": "OrderDesk's inventory item id (an integer). Give this or `code`.",
    ]
    static let code: JSONValue = [
        "type": "string", "minLength": 1, "maxLength": 100,
        "description": "The item's SKU, exactly (OrderDesk's `code`). Give this or `item_id`.",
    ]
    static let item: JSONValue = [
        "type": "object",
        "description": .string(
            "An OrderDesk inventory item: id (integer), name, code (SKU), price, cost, weight, stock, location, "
                + "update_source, manufacturer_sku, metadata, variation_list, date_added, date_updated."),
    ]

    /// The item named by exactly one of `item_id` and `code`.
    static func reference(_ arguments: ToolArguments) throws -> InventoryItemReference {
        switch (arguments.int("item_id"), arguments.string("code")) {
        case (let id?, nil): return .id(id)
        case (nil, let code?): return .code(code)
        case (.some, .some): throw MCPError.validation("give either `item_id` or `code`, not both")
        case (nil, nil): throw MCPError.validation("`item_id` or `code` is required (the item's id or its SKU)")
        }
    }
}
