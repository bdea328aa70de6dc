import Hummingbird
import JSON

/// Innermost API middleware: every error a route throws, and the router's own 404 for unknown
/// paths, becomes an OrderDesk error body (`{"status":"error","message":…}`) before the rate
/// limiter adds its header.
struct ErrorEnvelopeMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, request: request, context: context)
        }
    }

    static func response(for error: any Error, request: Request, context: Context) -> Response {
        if let error = error as? SimulatorError, let response = try? error.response(from: request, context: context) {
            return response
        }
        if let error = error as? any HTTPResponseError {
            let message =
                error.status == .notFound
                ? "Not Found: \(request.method.rawValue) \(request.uri.path) is not an OrderDesk API endpoint."
                : error.status.reasonPhrase
            return .orderDesk(["status": "error", "message": .string(message)], status: error.status)
        }
        context.logger.error("Unexpected error", metadata: ["error": "\(error)"])
        return .orderDesk(["status": "error", "message": "Internal simulator error."], status: .internalServerError)
    }
}
