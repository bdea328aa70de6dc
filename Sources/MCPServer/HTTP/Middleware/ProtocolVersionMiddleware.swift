import HTTPTypes
import Hummingbird

/// `MCP-Protocol-Version`, when sent, must be one revision this server speaks: else 400 with
/// `UnsupportedProtocolVersion` (-32022) listing them (or `HeaderMismatch`, -32020, when it is sent
/// twice), before anything else is looked at. Absent,
/// the transport spec says to assume 2025-03-26. 2026-07-28 has no sessions, so a DELETE that says
/// it speaks that revision has nothing to end: 405.
struct ProtocolVersionMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let versions = request.headers[values: .mcpProtocolVersion]
        guard versions.count <= 1 else {
            throw MCPError(.headerMismatch, "Header mismatch: MCP-Protocol-Version is sent more than once")
        }
        if let version = versions.first {
            guard ProtocolVersion.supported.contains(version) else { throw ProtocolVersion.unsupported(version) }
            if request.method == .delete, ProtocolVersion.isModern(version) {
                var failure = MCPError.invalidRequest(
                    "\(version) has no sessions to end; use POST", status: .methodNotAllowed)
                failure.allow = "POST"
                throw failure
            }
        }
        return try await next(request, context)
    }
}
