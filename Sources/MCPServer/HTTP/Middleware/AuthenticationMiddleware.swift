import App
import HTTPTypes
import Hummingbird

/// `Authorization: Bearer <master key>` (or, with `PUBLIC_BASE_URL`, an OAuth access token): a
/// verified credential puts its tenant into the context as the caller; one that fails ends the request (401, or 429 after too many failures from the address).
/// No header passes on without a caller: `SessionMiddleware` decides whether the session may act.
/// This runs before the body is read, so an unauthenticated caller learns nothing about it.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext
    let authenticator: Authenticator
    let refusals: AuthenticationRefusals

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard let key = BearerToken.parse(header) else {
            throw await refusals.refuse("malformed_header", request: request, context: context)
        }
        var context = context
        do {
            context.principal = try await authenticator.authenticate(bearer: key, clientIP: context.clientIP)
        } catch let failure as AuthenticationFailure {
            throw await refusals.refuse(
                failure.reason.rawValue, retryAfterSeconds: failure.retryAfterSeconds, request: request, context: context)
        }
        return try await next(request, context)
    }
}

/// `Authorization: Bearer <token>` (scheme case-insensitive).
enum BearerToken {
    static func parse(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = TrimmedText.withoutSpaceAround(parts[1])
        return token.isEmpty ? nil : token
    }
}
