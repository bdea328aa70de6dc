import HTTPTypes
import Hummingbird

/// Requests without `Origin` (non-browser clients) pass; a present `Origin` must be one of
/// `ALLOWED_ORIGINS` exactly (403 otherwise). This is what stops DNS rebinding from a web page.
struct OriginMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext
    let allowedOrigins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if let origin = request.headers[.origin], !allowedOrigins.contains(origin) {
            throw MCPError.invalidRequest("Origin \(AuditParameters.capped(origin, 100)) is not allowed", status: .forbidden)
        }
        return try await next(request, context)
    }
}
