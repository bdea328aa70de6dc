import JSON

/// What a 2026-07-28 request says about itself in `params._meta`, in place of the handshake and
/// session of earlier revisions: its protocol version and client capabilities (both required) and
/// who the client is (optional). Checked in the spec's order: a missing or malformed field is
/// -32602; the version is compared with the headers (`RoutingHeaders`) before it is checked
/// against the revisions we speak.
struct RequestEnvelope: Sendable {
    static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"

    /// The body's version; not yet known to be one we speak (see `checkSupported`).
    let protocolVersion: JSONValue
    /// `name`, `title`, `version` of the client, if it said.
    let clientInfo: JSONValue?

    /// Whether a message carries a per-request version at all (what makes it a modern request even
    /// without the header).
    static func declaresVersion(_ params: [String: JSONValue]) -> Bool {
        params["_meta"]?.objectValue?[protocolVersionKey] != nil
    }

    init(params: [String: JSONValue]) throws(MCPError) {
        guard let meta = params["_meta"]?.objectValue else {
            throw .invalidParams(
                "2026-07-28 requests carry `params._meta` with `\(Self.protocolVersionKey)` and `\(Self.clientCapabilitiesKey)`")
        }
        let missing = [Self.protocolVersionKey, Self.clientCapabilitiesKey].filter { meta[$0] == nil }
        guard missing.isEmpty else {
            throw .invalidParams("`params._meta` is missing \(missing.map { "`\($0)`" }.joined(separator: " and "))")
        }
        guard meta[Self.clientCapabilitiesKey]?.objectValue != nil else {
            throw .invalidParams("`\(Self.clientCapabilitiesKey)` must be an object")
        }
        protocolVersion = meta[Self.protocolVersionKey]!
        clientInfo = try ClientInfo.validated(
            meta[Self.clientInfoKey], label: Self.clientInfoKey, requiringNameAndVersion: true)
    }

    /// The version once it is known to be a modern revision we speak.
    func checkSupported() throws(MCPError) -> String {
        guard case .string(let version) = protocolVersion else {
            throw .invalidParams("`\(Self.protocolVersionKey)` must be a string such as \"\(ProtocolVersion.modern[0])\"")
        }
        if ProtocolVersion.legacy.contains(version) { throw ProtocolVersion.notPerRequest(version) }
        guard ProtocolVersion.isModern(version) else { throw ProtocolVersion.unsupported(version) }
        return version
    }
}
