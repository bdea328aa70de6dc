import App
import JSON
import OrderDesk

/// `inventory_items_list` (alias `products_list`): a page of the store's inventory, through the shared cache.
struct InventoryItemsListTool: Tool {
    let name = "inventory_items_list"
    let aliases = ["products_list"]
    let title = "List inventory items"
    let description = """
        List the chosen store's inventory items (products), ordered by id. `codes` keeps only items with those \
        exact SKUs; `search` keeps items whose name or code contains the text. Pages: `limit` 1–500 (default \
        50) and `offset`; the answer has `total_records`, `has_more` and `next_offset`. Answers may come from a \
        cache shared by all replicas for up to ORDER_LIST_CACHE_TTL_SECONDS (`cached` says which); a stock update \
        or any order change of the store drops it. For a stock level to act on, use inventory_items_get, which \
        always asks OrderDesk. Also callable as `products_list`.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false,
        "properties": [
            "codes": [
                "type": "array", "minItems": 1, "maxItems": 100, "items": InventorySchemas.code,
                "description": "Only items with these exact SKUs (no commas in a SKU).",
            ],
            "search": [
                "type": "string", "minLength": 1, "maxLength": 200,
                "description": "Only items whose name or code contains this text (any case).",
            ],
            "limit": ["type": "integer", "minimum": 1, "maximum": 500, "description": "Items per page (default 50)."],
            "offset": ["type": "integer", "minimum": 0, "description": "Items to skip (default 0)."],
            "store": StoreArgument.schema,
        ],
    ]
    let outputSchema: JSONValue = [
        "type": "object",
        "required": [
            "inventory_items", "total_records", "records_returned", "offset", "limit", "has_more", "next_offset", "cached",
            "store",
        ],
        "properties": [
            "inventory_items": ["type": "array", "items": InventorySchemas.item],
            "total_records": ["type": "integer"], "records_returned": ["type": "integer"],
            "offset": ["type": "integer"], "limit": ["type": "integer"], "has_more": ["type": "boolean"],
            "next_offset": ["type": ["integer", "null"]], "cached": ["type": "boolean"], "store": OrderSchemas.storeJSON,
        ],
    ]
    let annotations = ToolAnnotations.read
    let requiredScope = KeyScope.read

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let codes = arguments.values["codes"]?.arrayValue?.compactMap(\.stringValue)
        let query = InventoryQuery(
            codes: codes, search: arguments.string("search"), limit: Int(arguments.int("limit") ?? 50),
            offset: Int(arguments.int("offset") ?? 0))
        let store = try await StoreSelection.store(for: arguments, context: context)
        let (page, cached) = try await context.services.orders.inventory.list(
            tenantID: try context.tenantID(), store: store, query: query)
        var result = page.objectValue ?? [:]
        result["cached"] = .bool(cached)
        result["store"] = store.json
        return .object(result)
    }
}
