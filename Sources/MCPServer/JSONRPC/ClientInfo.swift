import JSON

/// A client's self-description (`clientInfo` of `initialize`, `io.modelcontextprotocol/clientInfo`
/// of a 2026-07-28 request), checked before it is stored or logged: only `name`, `title` and
/// `version` are kept, each a short string without U+0000 (which PostgreSQL's jsonb cannot store).
enum ClientInfo {
    static let maximumFieldLength = 200

    /// The kept fields, nil when absent; `label` names the field in errors.
    static func validated(_ value: JSONValue?, label: String) throws(MCPError) -> JSONValue? {
        switch value {
        case .none, .some(.null):
            return nil
        case .some(.object(let info)):
            var kept: [String: JSONValue] = [:]
            for field in ["name", "title", "version"] {
                guard let value = info[field], value != .null else { continue }
                guard case .string(let text) = value else {
                    throw .invalidParams("`\(label).\(field)` must be a string")
                }
                guard !text.unicodeScalars.contains("\u{0}") else {
                    throw .invalidParams("`\(label).\(field)` must not contain the NUL character (U+0000)")
                }
                guard text.unicodeScalars.count <= maximumFieldLength else {
                    throw .invalidParams("`\(label).\(field)` is longer than \(maximumFieldLength) characters")
                }
                kept[field] = value
            }
            return .object(kept)
        case .some:
            throw .invalidParams("`\(label)` must be an object with `name` and `version`")
        }
    }
}
