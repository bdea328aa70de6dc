import App
import HTTPTypes
import Hummingbird
import Logging

/// The outermost middleware of `/mcp`: it settles who the client is (the peer, or what a trusted
/// proxy forwarded), stamps every answer with `X-Request-ID`, and turns any failure into its one
/// HTTP answer (`MCPError`). Server faults are logged with their cause; the client sees no detail.
struct ExchangeMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext
    let trustedProxies: TrustedProxies
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        if !trustedProxies.isEmpty {  // the usual case has none: no header array to build
            context.clientIP = trustedProxies.clientAddress(
                peer: context.clientIP, forwardedFor: request.headers[values: .xForwardedFor])
        }
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = context.correlationID
            return response
        } catch {
            let failure = MCPError(from: error)
            if failure.code.isServerFault {
                logger.error("request failed", metadata: ["request_id": "\(context.correlationID)", "error": "\(error)"])
            }
            return failure.response(correlationID: context.correlationID)
        }
    }
}

extension Logger {
    func with(requestID: String, traceParent: TraceParent? = nil) -> Logger {
        var copy = self
        copy[metadataKey: "request_id"] = "\(requestID)"
        if let traceParent { copy[metadataKey: "trace_id"] = "\(traceParent.traceID)" }
        return copy
    }
}
