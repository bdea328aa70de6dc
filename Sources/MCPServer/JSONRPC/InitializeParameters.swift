import JSON

/// The `initialize` request's params, checked before anything is stored: `protocolVersion` is
/// required, and `clientInfo` (kept with the session for support) may hold only short texts without
/// U+0000, which PostgreSQL's jsonb cannot store.
struct InitializeParameters: Sendable {
    let protocolVersion: String
    /// `name`, `title` and `version` of the client, when it sent them; nothing else is kept.
    let clientInfo: JSONValue?

    static let maximumFieldLength = 200

    init(_ params: [String: JSONValue]) throws(MCPError) {
        guard let version = params["protocolVersion"] else {
            throw .invalidParams("initialize needs `protocolVersion` (for example \"\(ProtocolVersion.latest)\")")
        }
        guard case .string(let text) = version, !text.isEmpty, text.unicodeScalars.count <= 40 else {
            throw .invalidParams("`protocolVersion` must be a short string such as \"\(ProtocolVersion.latest)\"")
        }
        protocolVersion = text
        if let capabilities = params["capabilities"], capabilities != .null, capabilities.objectValue == nil {
            throw .invalidParams("`capabilities` must be an object")
        }
        switch params["clientInfo"] {
        case .none, .some(.null):
            clientInfo = nil
        case .some(.object(let info)):
            var kept: [String: JSONValue] = [:]
            for field in ["name", "title", "version"] {
                guard let value = info[field], value != .null else { continue }
                guard case .string(let text) = value else {
                    throw .invalidParams("`clientInfo.\(field)` must be a string")
                }
                guard !text.unicodeScalars.contains("\u{0}") else {
                    throw .invalidParams("`clientInfo.\(field)` must not contain the NUL character (U+0000)")
                }
                guard text.unicodeScalars.count <= Self.maximumFieldLength else {
                    throw .invalidParams("`clientInfo.\(field)` is longer than \(Self.maximumFieldLength) characters")
                }
                kept[field] = value
            }
            clientInfo = .object(kept)
        case .some:
            throw .invalidParams("`clientInfo` must be an object with `name` and `version`")
        }
    }
}
