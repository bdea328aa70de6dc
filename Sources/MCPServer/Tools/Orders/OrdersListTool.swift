import App
import JSON
import OrderDesk

/// `orders_list`: a page of orders with OrderDesk's filters, through the shared cache.
struct OrdersListTool: Tool {
    let name = "orders_list"
    let title = "List orders"
    let description = """
        List orders of the chosen store, newest first unless `order_by`/`order` say otherwise, with any of \
        OrderDesk's filters. Pages: `limit` 1–500 (default 50) and `offset`; the answer has `total_records`, \
        `has_more` and `next_offset`. Dates are `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS` (UTC). Answers may come \
        from a cache shared by all replicas (`cached`).
        """

    typealias QueryField = any WritableKeyPath<OrderQuery, String?> & Sendable

    /// Text filters: argument name → how it is set on the query.
    static let textFilters: [(String, QueryField, String)] = [
        ("folder_name", \.folderName, "Only orders in the folder with this name."),
        ("source_id", \.sourceID, "The cart's or marketplace's order id."),
        ("source_name", \.sourceName, "The order source, e.g. Shopify."),
        ("email", \.email, "Customer email (exact)."),
        ("customer_id", \.customerID, "The customer id of the source cart."),
        ("customer_first_name", \.customerFirstName, ""),
        ("customer_last_name", \.customerLastName, ""),
        ("customer_company", \.customerCompany, ""),
        ("customer_phone", \.customerPhone, ""),
        ("shipping_first_name", \.shippingFirstName, ""),
        ("shipping_last_name", \.shippingLastName, ""),
        ("shipping_company", \.shippingCompany, ""),
        ("shipping_phone", \.shippingPhone, ""),
    ]
    static let dateFilters: [(String, QueryField)] = [
        ("search_start_date", \.searchStartDate), ("search_end_date", \.searchEndDate),
        ("modified_start_date", \.modifiedStartDate), ("modified_end_date", \.modifiedEndDate),
    ]
    static let sortFields = [
        "date_added", "date_updated", "id", "order_total", "email", "source_id", "source_name", "folder_id",
    ]

    var inputSchema: JSONValue {
        var properties: [String: JSONValue] = [
            "limit": ["type": "integer", "minimum": 1, "maximum": 500, "description": "Orders per page (default 50)."],
            "offset": ["type": "integer", "minimum": 0, "description": "Orders to skip (default 0)."],
            "folder_id": ["type": "integer", "minimum": 1, "description": "Only orders in this folder id."],
            "order_by": ["type": "string", "enum": .array(Self.sortFields.map(JSONValue.string))],
            "order": ["type": "string", "enum": ["asc", "desc"]],
            "store": StoreArgument.schema,
        ]
        for (name, _, help) in Self.textFilters {
            properties[name] = ["type": "string", "minLength": 1, "maxLength": 200, "description": .string(help)]
        }
        for (name, _) in Self.dateFilters {
            // No length limits here: the format check in `call` gives the better message.
            properties[name] = ["type": "string", "description": "YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC)"]
        }
        return ["type": "object", "additionalProperties": false, "properties": .object(properties)]
    }
    let outputSchema: JSONValue = [
        "type": "object",
        "required": ["orders", "total_records", "records_returned", "offset", "limit", "has_more", "next_offset", "cached"],
        "properties": [
            "orders": ["type": "array", "items": OrderSchemas.order],
            "total_records": ["type": "integer"], "records_returned": ["type": "integer"],
            "offset": ["type": "integer"], "limit": ["type": "integer"], "has_more": ["type": "boolean"],
            "next_offset": ["type": ["integer", "null"]], "cached": ["type": "boolean"], "store": OrderSchemas.storeJSON,
        ],
    ]
    let annotations = ToolAnnotations.read
    let requiredScope = KeyScope.read

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        var query = OrderQuery(limit: Int(arguments.int("limit") ?? 50), offset: Int(arguments.int("offset") ?? 0))
        for (name, path, _) in Self.textFilters {
            query[keyPath: path] = arguments.string(name)
        }
        for (name, path) in Self.dateFilters {
            guard let text = arguments.string(name) else { continue }
            guard OrderDeskDate.isValid(text) else {
                throw MCPError.validation(
                    "`\(name)` must look like \(OrderDeskDate.example.prefix(10)) or \(OrderDeskDate.example) (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, UTC); got \"\(text.prefix(40))\""
                )
            }
            query[keyPath: path] = text
        }
        if let folder = arguments.int("folder_id") { query.folderIDs = [folder] }
        query.orderBy = arguments.string("order_by")
        query.order = arguments.string("order").map { $0 == "asc" ? .ascending : .descending }
        let store = try await StoreSelection.store(for: arguments, context: context)
        let (page, cached) = try await context.services.orders.list(tenantID: try context.tenantID(), store: store, query: query)
        var result = page.objectValue ?? [:]
        result["cached"] = .bool(cached)
        result["store"] = store.json
        return .object(result)
    }
}
