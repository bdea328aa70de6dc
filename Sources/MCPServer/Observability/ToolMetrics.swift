import CoreMetrics

/// Tool calls for `/metrics`: `mcp_tool_calls_total{tool, outcome, code}` and
/// `mcp_tool_call_duration_seconds{tool}`. `tool` is a registered tool's name (or `unknown`),
/// `outcome` the audit outcome (`ok`, `error`, `denied`, `rate_limited`), `code` the stable error
/// code (`none` on success): all bounded sets.
enum ToolMetrics {
    static func finished(tool: String, outcome: String, code: String?, duration: Duration) {
        Counter(
            label: "mcp_tool_calls_total", dimensions: [("tool", tool), ("outcome", outcome), ("code", code ?? "none")]
        ).increment()
        let (seconds, attoseconds) = duration.components
        Timer(label: "mcp_tool_call_duration_seconds", dimensions: [("tool", tool)])
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// A `tools/call` naming no tool or an unknown one (the name itself is not a label).
    static func rejected() {
        Counter(
            label: "mcp_tool_calls_total", dimensions: [("tool", "unknown"), ("outcome", "error"), ("code", "unknown_tool")]
        ).increment()
    }
}
