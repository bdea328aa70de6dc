import HTTPTypes
import Hummingbird

/// `MCP-Protocol-Version`, when sent, must be a revision this server speaks: else 400 with
/// `UnsupportedProtocolVersion` (-32022) listing them, before anything else is looked at. Absent,
/// the transport spec says to assume 2025-03-26. 2026-07-28 has no sessions, so a DELETE that says
/// it speaks that revision has nothing to end: 405.
struct ProtocolVersionMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if let version = request.headers[.mcpProtocolVersion] {
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
