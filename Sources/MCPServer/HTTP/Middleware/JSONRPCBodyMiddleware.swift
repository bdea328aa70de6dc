import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Reads a POST's body (413 past `maximumBodyBytes`) and parses its one JSON-RPC message into the
/// context (400 with a JSON-RPC error when it is not one).
struct JSONRPCBodyMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext
    let maximumBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard request.method == .post else { return try await next(request, context) }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maximumBodyBytes)
        } catch {
            throw MCPError.invalidRequest("the body is larger than \(maximumBodyBytes / 1024) KiB", status: .contentTooLarge)
        }
        var context = context
        context.message = try JSONRPCMessage.parse(Data(buffer: body))
        return try await next(request, context)
    }
}
