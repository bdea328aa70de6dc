import App
import Foundation
import JSON

extension RegisteredStore {
    /// How a store appears in tool results: never with credentials.
    var json: JSONValue {
        [
            "id": .string(id.uuidString.lowercased()), "store_id": .string(storeID), "name": .string(name),
            "label": label.map(JSONValue.string) ?? .null,
            "created_at": .string(createdAt.formatted(.iso8601)),
        ]
    }

    static let schema: JSONValue = [
        "type": "object",
        "properties": [
            "id": ["type": "string", "description": "This server's id for the registration (uuid)."],
            "store_id": ["type": "string", "description": "OrderDesk's numeric store id."],
            "name": ["type": "string"],
            "label": ["type": ["string", "null"]],
            "created_at": ["type": "string", "description": "ISO 8601"],
        ],
        "required": ["id", "store_id", "name", "label", "created_at"],
    ]
}

/// The `store` argument every store-scoped tool takes.
enum StoreArgument {
    static let schema: JSONValue = [
        "type": "string", "minLength": 1, "maxLength": 100,
        "description": "The store: this server's store uuid, the OrderDesk store id, or the store's name (any case).",
    ]

    /// Resolves `identifier` among the caller's stores, or fails with `not_found` listing the choices
    /// (those the caller's key may use), or `store_not_allowed` for a store outside the key's limit.
    static func resolve(_ identifier: String, context: ToolContext) async throws -> (RegisteredStore, StoreMatch) {
        let tenant = try context.tenantID()
        context.callAudit.store(identifier)
        if let found = try await context.services.stores.resolve(tenantID: tenant, identifier: identifier) {
            context.callAudit.store(found.0.storeID)
            try StoreAccess.check(found.0, context: context)
            return found
        }
        let names = try await StoreAccess.list(context: context).map(\.name)
        throw MCPError(
            .notFound,
            names.isEmpty
                ? "No store matches \"\(identifier)\": this tenant has no stores yet. Register one with stores_register."
                : "No store matches \"\(identifier)\". Registered stores: \(names.joined(separator: ", ")).",
            details: ["stores": .array(names.map(JSONValue.string))])
    }
}
