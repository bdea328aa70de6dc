import Hummingbird

/// OrderDesk's per-store leaky bucket: every authenticated response carries
/// `X-Tokens-Remaining`; an empty bucket answers 429 with `X-Retry-After` (seconds).
/// Requests rejected by authentication consume nothing and carry no token header.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext

    static let tokensRemainingHeader = HTTPFieldName("X-Tokens-Remaining")!
    static let retryAfterHeader = HTTPFieldName("X-Retry-After")!

    let limiter: RateLimiter

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let storeID = context.storeID else { return try await next(request, context) }
        switch limiter.take(storeID: storeID) {
        case .denied(let retryAfter):
            var error = SimulatorError(
                status: .tooManyRequests, message: "Rate limit exceeded. Retry after \(retryAfter) seconds.")
            error.headers = [Self.tokensRemainingHeader: "0", Self.retryAfterHeader: String(retryAfter)]
            return try error.response(from: request, context: context)
        case .allowed(let remaining):
            var response = try await next(request, context)
            response.headers[Self.tokensRemainingHeader] = String(remaining)
            return response
        }
    }
}
