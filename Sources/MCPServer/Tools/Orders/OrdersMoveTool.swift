import App
import JSON

/// `orders_move`: moves orders to a folder, reporting each order on its own.
struct OrdersMoveTool: Tool {
    static let maximumOrders = 100

    let name = "orders_move"
    let title = "Move orders to a folder"
    let description = """
        Move 1 to 100 orders to one folder, given by `folder_id` or by its exact `folder_name` (case-sensitive; \
        see store_folders_list). OrderDesk runs the destination folder's rules (emails, fulfillment) and notes the \
        move in each order's history. Each order is reported on its own (`moved`, `not_found`, `upstream_error`): \
        one unknown order does not stop the others. An unknown folder fails the call with validation_error \
        listing the store's folders, before anything is moved.
        """
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["order_ids"],
        "properties": [
            "order_ids": [
                "type": "array", "minItems": 1, "maxItems": .int(Int64(Self.maximumOrders)), "items": OrderSchemas.orderID,
                "description": "The OrderDesk ids of the orders to move, each once.",
            ],
            "folder_id": ["type": "integer", "minimum": 1, "description": "The destination folder's id."],
            "folder_name": [
                "type": "string", "minLength": 1, "maxLength": 200,
                "description": "The destination folder's exact name, e.g. Prepared (instead of folder_id).",
            ],
            "store": StoreArgument.schema,
        ],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["folder", "moved", "results", "store"],
        "properties": [
            "folder": [
                "type": "object", "required": ["id", "name"],
                "properties": ["id": ["type": "integer"], "name": ["type": "string"]],
            ],
            "moved": ["type": "integer", "description": "How many orders were moved."],
            "results": [
                "type": "array",
                "items": [
                    "type": "object", "required": ["order_id", "result"],
                    "properties": [
                        "order_id": ["type": "string"],
                        "result": ["type": "string", "enum": ["moved", "not_found", "upstream_error"]],
                        "message": ["type": "string"], "original_folder_id": ["type": "integer"],
                    ],
                ],
            ],
            "store": OrderSchemas.storeJSON,
        ],
    ]
    let annotations = ToolAnnotations(readOnly: false, destructive: false, idempotent: true, openWorld: true)
    let requiredScope = KeyScope.write

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let orderIDs = (arguments.values["order_ids"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard Set(orderIDs).count == orderIDs.count else {
            throw MCPError.validation("`order_ids` names an order more than once; list each order once.")
        }
        let choice: FolderChoice
        switch (arguments.int("folder_id"), arguments.string("folder_name")) {
        case (let id?, nil): choice = .id(id)
        case (nil, let name?): choice = .name(name)
        default: throw MCPError.validation("Give exactly one of `folder_id` or `folder_name`.")
        }
        context.callAudit.target(orderIDs.joined(separator: ","))
        let store = try await StoreSelection.store(for: arguments, context: context)
        let tenantID = try context.tenantID()
        let orders = context.services.orders
        let folder = try await orders.folder(choice, tenantID: tenantID, store: store)
        try await context.callAudit.start()
        let results = try await orders.move(tenantID: tenantID, store: store, orderIDs: orderIDs, to: folder)
        return [
            "folder": folder.json, "moved": .int(Int64(results.filter { $0.outcome == .moved }.count)),
            "results": .array(results.map(\.json)), "store": store.json,
        ]
    }
}
