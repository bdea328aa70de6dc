import JSON

/// The argument names of the original product, still accepted so prompts and scripts written for it
/// keep working: `identifier` (stores_use_store, stores_resolve), `store_identifier` (every other
/// tool with a `store` argument), `store_name` (stores_register), `order_data` (orders_create).
///
/// A call's aliases become their canonical names before the arguments are checked against the
/// tool's schema; giving both spellings with different values is a `validation_error`. `tools/list`
/// shows each alias beside its argument, marked `deprecated`, with the argument's own schema; the
/// schema's `required` names only the current names.
enum ArgumentAliases {
    /// alias → canonical argument name, for one tool.
    static func of(_ tool: any Tool) -> [String: String] {
        var aliases: [String: String] = [:]
        if tool.inputSchema["properties"]?["store"] != nil {
            let alias = ["stores_use_store", "stores_resolve"].contains(tool.name) ? "identifier" : "store_identifier"
            aliases[alias] = "store"
        }
        switch tool.name {
        case "stores_register": aliases["store_name"] = "name"
        case "orders_create": aliases["order_data"] = "order"
        default: break
        }
        return aliases
    }

    /// The arguments with every alias renamed to its canonical name.
    static func normalize(_ arguments: JSONValue, aliases: [String: String]) throws(MCPError) -> JSONValue {
        guard !aliases.isEmpty, case .object(var members) = arguments else { return arguments }
        for (alias, canonical) in aliases.sorted(by: { $0.key < $1.key }) {
            guard let value = members.removeValue(forKey: alias) else { continue }
            if let given = members[canonical], given != value {
                throw MCPError.validation(
                    "`\(alias)` is the old name of `\(canonical)`, and the two were given different values; send only `\(canonical)`."
                )
            }
            members[canonical] = value
        }
        return .object(members)
    }

    /// `inputSchema` as `tools/list` shows it: each alias listed with its argument's schema and
    /// `deprecated: true`. `required` keeps the current names, so a model is steered to them (the
    /// server still accepts an old name alone: scripts written for the original product send them).
    static func listedSchema(_ schema: JSONValue, aliases: [String: String]) -> JSONValue {
        guard !aliases.isEmpty, case .object(var members) = schema, case .object(var properties)? = members["properties"]
        else { return schema }
        for (alias, canonical) in aliases.sorted(by: { $0.key < $1.key }) {
            guard case .object(var property)? = properties[canonical] else { continue }
            property["description"] = .string("Deprecated: the original name of `\(canonical)`; send `\(canonical)` instead.")
            property["deprecated"] = true
            properties[alias] = .object(property)
        }
        members["properties"] = .object(properties)
        return .object(members)
    }
}
