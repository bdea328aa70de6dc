import JSON

/// MCP protocol revisions this server speaks (Streamable HTTP with JSON responses), in two eras:
/// the modern, stateless revision (every request carries its version in `_meta`) and the legacy
/// ones reached through the `initialize` handshake and a session.
public enum ProtocolVersion {
    /// Stateless revisions: no handshake, no session (`RequestEnvelope`).
    public static let modern = ["2026-07-28"]
    /// Handshake revisions: `initialize` opens a session (`SessionMiddleware`).
    public static let legacy = ["2025-11-25", "2025-06-18", "2025-03-26"]
    /// Every revision, newest first: `server/discover`'s `supportedVersions`.
    public static let supported = modern + legacy
    /// What `initialize` offers when the client asks for a revision it cannot negotiate there.
    public static let latest = "2025-11-25"
    /// What a request without an `MCP-Protocol-Version` header is assumed to speak (spec).
    public static let assumedWhenAbsent = "2025-03-26"

    public static func isModern(_ version: String) -> Bool { modern.contains(version) }

    /// The client's handshake version when we support it, else our latest (the client then
    /// decides). A modern version cannot be negotiated by `initialize`: it gets the counter-offer.
    public static func negotiate(_ requested: String?) -> String {
        guard let requested, legacy.contains(requested) else { return latest }
        return requested
    }

    /// `UnsupportedProtocolVersion` (-32022): HTTP 400 naming the revisions we speak.
    static func unsupported(_ requested: String) -> MCPError {
        let shown = AuditParameters.capped(requested, 40)
        return MCPError(
            .unsupportedProtocolVersion,
            "Unsupported protocol version \(shown); supported: \(supported.joined(separator: ", "))",
            details: ["supported": .array(supported.map(JSONValue.string)), "requested": .string(shown)])
    }

    /// A session revision declared in a request's `_meta`: those are reached through `initialize`,
    /// so the only version a per-request `_meta` may name is a modern one (and `supported` says so,
    /// or a client retrying from the list would go round in circles).
    static func notPerRequest(_ requested: String) -> MCPError {
        MCPError(
            .unsupportedProtocolVersion,
            "\(requested) is a session revision: open it with initialize. Per-request `_meta` is for "
                + modern.joined(separator: ", "),
            details: ["supported": .array(modern.map(JSONValue.string)), "requested": .string(requested)])
    }
}
