import App
import JSON

/// `orders_get`: one order, through the shared cache.
struct OrdersGetTool: Tool {
    let name = "orders_get"
    let title = "Get an order"
    let description = """
        Fetch one OrderDesk order by id from the chosen store (the `store` argument, else the session's active \
        store, else the only store). Answers may come from a cache shared by all replicas for up to \
        ORDER_CACHE_TTL_SECONDS (15 s by default); `cached` says which. `include_history` adds the order's \
        `order_history` (notes and folder moves; slower in OrderDesk).
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["order_id"],
        "properties": [
            "order_id": OrderSchemas.orderID, "store": StoreArgument.schema,
            "include_history": ["type": "boolean", "description": "Add the order's order_history (default false)."],
        ],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["order", "cached", "store"],
        "properties": ["order": OrderSchemas.order, "cached": ["type": "boolean"], "store": OrderSchemas.storeJSON],
    ]
    let annotations = ToolAnnotations.read
    let requiredScope = KeyScope.read

    func cacheProbe(for arguments: [String: JSONValue]) -> CacheProbe? {
        // Only an id the input schema accepts: for any other, nothing is probed (validation refuses it).
        guard case .string(let orderID)? = arguments["order_id"], (1...30).contains(orderID.count) else { return nil }
        return .order(orderID, includeHistory: arguments["include_history"] == .bool(true))
    }

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let orderID = try arguments.requiredString("order_id")
        context.callAudit.target(orderID)
        let store = try await StoreSelection.store(for: arguments, context: context)
        let (order, cached) = try await context.services.orders.get(
            tenantID: try context.tenantID(), store: store, orderID: orderID,
            includeHistory: arguments.values["include_history"] == .bool(true), snapshot: context.snapshot)
        return ["order": order, "cached": .bool(cached), "store": store.json]
    }
}
