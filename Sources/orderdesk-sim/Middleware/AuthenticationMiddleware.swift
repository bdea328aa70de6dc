import Foundation
import Hummingbird

/// Checks `ORDERDESK-STORE-ID` / `ORDERDESK-API-KEY` (header names are case-insensitive) and
/// marks the request with its store. Missing or wrong credentials get a 401 with an OrderDesk
/// error body; the reference has no official status for this, 401 is what clients expect.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext

    static let storeIDHeader = HTTPFieldName("ORDERDESK-STORE-ID")!
    static let apiKeyHeader = HTTPFieldName("ORDERDESK-API-KEY")!

    let database: StoreDatabase

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let storeID = request.headers[Self.storeIDHeader]?.trimmingCharacters(in: .whitespaces) ?? ""
        let apiKey = request.headers[Self.apiKeyHeader]?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !storeID.isEmpty, !apiKey.isEmpty else {
            return try SimulatorError.unauthorized(
                "Missing credentials: send the ORDERDESK-STORE-ID and ORDERDESK-API-KEY headers."
            ).response(from: request, context: context)
        }
        guard let profile = database.profile(storeID), Self.constantTimeEquals(profile.apiKey, apiKey) else {
            return try SimulatorError.unauthorized("Invalid store ID or API key.").response(from: request, context: context)
        }
        var context = context
        context.storeID = storeID
        return try await next(request, context)
    }

    private static func constantTimeEquals(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8), b = Array(right.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
