import JSON

/// The `initialize` request's params, checked before anything is stored: `protocolVersion` is
/// required, and `clientInfo` (kept with the session for support) is checked by `ClientInfo`.
struct InitializeParameters: Sendable {
    let protocolVersion: String
    /// `name`, `title` and `version` of the client, when it sent them; nothing else is kept.
    let clientInfo: JSONValue?

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
        clientInfo = try ClientInfo.validated(params["clientInfo"], label: "clientInfo")
    }
}
