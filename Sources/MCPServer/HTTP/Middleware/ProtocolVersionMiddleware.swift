import Foundation
import HTTPTypes
import Hummingbird

/// `MCP-Protocol-Version`, when sent, must be one revision this server speaks: else 400 with
/// `UnsupportedProtocolVersion` (-32022) listing them (or `HeaderMismatch`, -32020, when it is sent
/// twice), before the caller is authenticated. The answer still names the JSON-RPC id of a POST's
/// body when it has one (the body is read for that, up to `maximumBodyBytes`, only on this failure).
/// Absent, the transport spec says to assume 2025-03-26. 2026-07-28 has no sessions, so a DELETE
/// that says it speaks that revision has nothing to end: 405.
struct ProtocolVersionMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext
    let maximumBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let versions = request.headers[values: .mcpProtocolVersion]
        guard let version = versions.first else { return try await next(request, context) }
        guard versions.count == 1 else {
            throw await answering(
                MCPError(.headerMismatch, "Header mismatch: MCP-Protocol-Version is sent more than once"), request)
        }
        guard ProtocolVersion.supported.contains(version) else {
            throw await answering(ProtocolVersion.unsupported(version), request)
        }
        if request.method == .delete, ProtocolVersion.isModern(version) {
            var failure = MCPError.invalidRequest("\(version) has no sessions to end; use POST", status: .methodNotAllowed)
            failure.allow = "POST"
            throw failure
        }
        return try await next(request, context)
    }

    /// `failure` for the id of the POST body's request, when one can be read.
    private func answering(_ failure: MCPError, _ request: Request) async -> MCPError {
        guard request.method == .post else { return failure }
        var request = request
        guard let body = try? await request.collectBody(upTo: maximumBodyBytes) else { return failure }
        return failure.answering(JSONRPCMessage.requestID(in: Data(buffer: body)))
    }
}
