import App
import Foundation
import JSON

/// `orders_create`: creates an order, at most once per idempotency key.
struct OrdersCreateTool: Tool {
    let name = "orders_create"
    let title = "Create an order"
    let description = """
        Create an order in OrderDesk. `order` is an OrderDesk order object: at least one entry in `order_items` \
        and a first+last name or a company (in `shipping` or `customer`). Pass an `idempotency_key` so a retry \
        with the same key and body returns the first result instead of creating a second order (24 h).
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["order"],
        "properties": [
            "order": [
                "type": "object", "description": "The new order (OrderDesk API v2 fields).",
                "required": ["order_items"],
                "properties": ["order_items": ["type": "array", "minItems": 1, "items": ["type": "object"]]],
            ],
            "idempotency_key": [
                "type": "string", "minLength": 1, "maxLength": 100,
                "description": "Any unique string per intended order, e.g. a UUID.",
            ],
            "store": StoreArgument.schema,
        ],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["order", "replayed", "store"],
        "properties": [
            "order": OrderSchemas.order, "store": OrderSchemas.storeJSON,
            "replayed": ["type": "boolean", "description": "True when an earlier call with this idempotency key created it."],
        ],
    ]
    let annotations = ToolAnnotations(readOnly: false, destructive: false, idempotent: false, openWorld: true)
    let requiredScope = KeyScope.write

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let store = try await StoreSelection.store(for: arguments, context: context)
        guard let order = arguments.values["order"] else { throw MCPError.validation("`order` is required") }
        guard Self.hasFullNameOrCompany(order) else {
            throw MCPError.validation(
                "`order` needs a first and last name or a company, in `shipping` or `customer` "
                    + "(e.g. \"shipping\": {\"first_name\": \"Ann\", \"last_name\": \"Lee\", …}).")
        }
        try await context.callAudit.start()
        let (created, replayed) = try await context.services.orders.create(
            tenantID: try context.tenantID(), store: store, order: order,
            idempotencyKey: arguments.string("idempotency_key"))
        if let orderID = created["id"]?.lenientString { context.callAudit.target(orderID) }
        return ["order": created, "replayed": .bool(replayed), "store": store.json]
    }

    /// OrderDesk's rule, "a first and last name combination or a company name", checked on both
    /// addresses before anything is sent.
    static func hasFullNameOrCompany(_ order: JSONValue) -> Bool {
        ["shipping", "customer"].contains { field in
            guard let address = order[field]?.objectValue else { return false }
            func filled(_ key: String) -> Bool {
                !(address[key]?.lenientString ?? "").trimmingCharacters(in: .whitespaces).isEmpty
            }
            return (filled("first_name") && filled("last_name")) || filled("company")
        }
    }
}
