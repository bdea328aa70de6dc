import HTTPTypes
import Hummingbird

/// `MCP-Protocol-Version`, when sent, must be a revision this server speaks (400 otherwise). Absent,
/// the transport spec says to assume 2025-03-26.
struct ProtocolVersionMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if let version = request.headers[.mcpProtocolVersion], !ProtocolVersion.supported.contains(version) {
            throw MCPError.invalidRequest(
                "Unsupported MCP-Protocol-Version \(version.prefix(40)); supported: "
                    + ProtocolVersion.supported.joined(separator: ", "))
        }
        return try await next(request, context)
    }
}
