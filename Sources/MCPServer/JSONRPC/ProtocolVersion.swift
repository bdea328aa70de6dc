/// MCP protocol revisions this server speaks (Streamable HTTP with JSON responses).
public enum ProtocolVersion {
    public static let supported = ["2025-11-25", "2025-06-18", "2025-03-26"]
    public static let latest = "2025-11-25"
    /// What a request without an `MCP-Protocol-Version` header is assumed to speak (spec).
    public static let assumedWhenAbsent = "2025-03-26"

    /// The client's version when we support it, else our latest (the client then decides).
    public static func negotiate(_ requested: String?) -> String {
        guard let requested, supported.contains(requested) else { return latest }
        return requested
    }
}
