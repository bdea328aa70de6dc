import App
import JSON

/// `stores_resolve`: shows which store an identifier means, and how it matched.
struct StoresResolveTool: Tool {
    let name = "stores_resolve"
    let title = "Resolve a store identifier"
    let description =
        "Show which registered store an identifier refers to: by uuid or OrderDesk store id first, then by name (any case)."
    let inputSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["store"], "properties": ["store": StoreArgument.schema],
    ]
    let outputSchema: JSONValue = [
        "type": "object", "required": ["store", "matched_by"],
        "properties": ["store": RegisteredStore.schema, "matched_by": ["type": "string", "enum": ["id", "name"]]],
    ]
    let annotations = ToolAnnotations.localRead
    let requiredScope = KeyScope.read

    func call(arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let (store, match) = try await StoreArgument.resolve(try arguments.requiredString("store"), context: context)
        return ["store": store.json, "matched_by": .string(match.rawValue)]
    }
}
