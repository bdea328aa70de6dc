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

    /// Resolves `identifier` among the stores the caller's key may use, or fails with `not_found`
    /// listing those. A store outside the key's limit is answered exactly as an unknown identifier
    /// (same message, same audit), so guessing a name, uuid or OrderDesk id confirms nothing.
    static func resolve(_ identifier: String, context: ToolContext) async throws -> (RegisteredStore, StoreMatch) {
        let tenant = try context.tenantID()
        context.callAudit.store(identifier)
        let found =
            if let snapshot = context.snapshot, snapshot.tenantID == tenant,
                let resolution = snapshot.resolution(of: identifier)
            {
                resolution.match
            } else {
                try await context.services.stores.resolve(tenantID: tenant, identifier: identifier)
            }
        if let found, StoreAccess.allows(found.store, to: context.principal) {
            context.callAudit.store(found.store.storeID)
            return found
        }
        // Unknown, or outside the key's limit: the same one query for the stores the key may use.
        let stores = try await StoreAccess.list(context: context)
        // The best match was outside the limit; a store the key may use can still match with a
        // lower rank (say its name is another store's OrderDesk id).
        if found != nil, let match = StoreAccess.match(identifier, among: stores) {
            context.callAudit.store(match.0.storeID)
            return match
        }
        let names = stores.map(\.name)
        throw MCPError(
            .notFound,
            names.isEmpty
                ? "No store matches \"\(identifier)\": this tenant has no stores yet. Register one with stores_register."
                : "No store matches \"\(identifier)\". Registered stores: \(names.joined(separator: ", ")).",
            details: ["stores": .array(names.map(JSONValue.string))])
    }
}
