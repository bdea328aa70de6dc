import Foundation
import Hummingbird

/// Outermost API middleware: records every API request in the admin request log (never the API key)
/// and turns any error that escaped the inner middleware into an OrderDesk-style response.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext

    let log: RequestLog

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let arrivedAt = Int64(Date().timeIntervalSince1970 * 1000)
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = ErrorEnvelopeMiddleware.response(for: error, request: request, context: context)
        }
        let elapsed = ContinuousClock.now - context.receivedAt
        let storeID = request.headers[AuthenticationMiddleware.storeIDHeader].map(log.redact)
        log.record(
            RequestLog.Entry(
                method: request.method.rawValue, path: request.uri.path, query: log.redact(request.uri.query ?? ""),
                storeID: storeID, status: context.trace.droppedConnection ? 0 : response.status.code,
                fault: context.trace.fault, atMilliseconds: arrivedAt,
                durationMilliseconds: Int(
                    elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)))
        return response
    }
}
