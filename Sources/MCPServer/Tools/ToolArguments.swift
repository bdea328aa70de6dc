import JSON

/// A tool's arguments after they passed its `inputSchema`, with typed accessors.
public struct ToolArguments: Sendable {
    public let values: [String: JSONValue]

    public func string(_ name: String) -> String? {
        values[name]?.stringValue
    }

    public func requiredString(_ name: String) throws -> String {
        guard let value = string(name) else { throw MCPError.validation("argument `\(name)` is required") }
        return value
    }

    public func int(_ name: String) -> Int64? {
        if case .int(let number)? = values[name] { return number }
        return nil
    }

    public func object(_ name: String) -> [String: JSONValue]? {
        values[name]?.objectValue
    }
}

/// Checks arguments against the subset of JSON Schema our tools use: `type` (object, string,
/// integer, number, boolean, array), `properties`, `required`, `additionalProperties: false`,
/// `enum`, `minLength`/`maxLength`, `minimum`/`maximum`, `minItems`/`maxItems`, `items`.
/// Messages name the argument and the expected shape so a model can correct itself.
enum ArgumentValidator {
    static func validate(_ value: JSONValue, against schema: JSONValue) throws(MCPError) {
        // Everywhere, not only where the schema describes a field: PostgreSQL text and jsonb cannot
        // hold U+0000, so a NUL nested in an order would break its audit row, cache entry and
        // idempotency record.
        if let path = firstNUL(in: value, path: "arguments") {
            throw .validation("`\(path)` must not contain NUL characters (U+0000)")
        }
        try check(value, against: schema, path: "arguments")
    }

    /// The path of the first string or member name holding U+0000, if any.
    private static func firstNUL(in value: JSONValue, path: String) -> String? {
        switch value {
        case .string(let text):
            return text.unicodeScalars.contains("\u{0}") ? path : nil
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let found = firstNUL(in: element, path: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let members):
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if key.unicodeScalars.contains("\u{0}") { return child(path, "…") }  // a name with NUL
                if let found = firstNUL(in: member, path: child(path, key)) { return found }
            }
            return nil
        default:
            return nil
        }
    }

    private static func check(_ value: JSONValue, against schema: JSONValue, path: String) throws(MCPError) {
        guard case .object(let rules) = schema else { return }
        if let type = rules["type"]?.stringValue, !matches(value, type: type) {
            throw .validation("`\(path)` must be \(article(type)) \(type)")
        }
        if let allowed = rules["enum"]?.arrayValue, !allowed.contains(value) {
            let choices = allowed.map { $0.lenientString ?? $0.encodedString() }.joined(separator: ", ")
            throw .validation("`\(path)` must be one of: \(choices)")
        }
        switch value {
        case .string(let text):
            if let minimum = rules["minLength"]?.lenientInt, text.count < minimum {
                throw .validation("`\(path)` must be at least \(minimum) characters")
            }
            if let maximum = rules["maxLength"]?.lenientInt, text.count > maximum {
                throw .validation("`\(path)` must be at most \(maximum) characters")
            }
        case .int, .double:
            let number = value.lenientDouble ?? 0
            if let minimum = rules["minimum"]?.lenientDouble, number < minimum {
                throw .validation("`\(path)` must be at least \(formatted(minimum))")
            }
            if let maximum = rules["maximum"]?.lenientDouble, number > maximum {
                throw .validation("`\(path)` must be at most \(formatted(maximum))")
            }
        case .array(let elements):
            if let minimum = rules["minItems"]?.lenientInt, elements.count < minimum {
                throw .validation("`\(path)` must have at least \(minimum) elements")
            }
            if let maximum = rules["maxItems"]?.lenientInt, elements.count > maximum {
                throw .validation("`\(path)` must have at most \(maximum) elements")
            }
            if let items = rules["items"] {
                for (index, element) in elements.enumerated() {
                    try check(element, against: items, path: "\(path)[\(index)]")
                }
            }
        case .object(let members):
            let properties = rules["properties"]?.objectValue ?? [:]
            for case .string(let required) in rules["required"]?.arrayValue ?? [] where members[required] == nil {
                throw .validation("`\(child(path, required))` is required")
            }
            if rules["additionalProperties"] == .bool(false) {
                for key in members.keys.sorted() where properties[key] == nil {
                    let known = properties.keys.sorted().joined(separator: ", ")
                    throw .validation("unknown argument `\(child(path, key))`; allowed: \(known.isEmpty ? "none" : known)")
                }
            }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let rule = properties[key] {
                    try check(member, against: rule, path: child(path, key))
                }
            }
        default:
            break
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("string", .string), ("boolean", .bool), ("array", .array), ("null", .null):
            return true
        case ("integer", .int): return true
        case ("integer", .double(let number)): return number.rounded() == number
        case ("number", .int), ("number", .double): return true
        default: return false
        }
    }

    private static func child(_ path: String, _ key: String) -> String {
        path == "arguments" ? key : "\(path).\(key)"
    }

    private static func article(_ type: String) -> String {
        type.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }

    private static func formatted(_ number: Double) -> String {
        number.rounded() == number ? String(Int64(number)) : String(number)
    }
}
