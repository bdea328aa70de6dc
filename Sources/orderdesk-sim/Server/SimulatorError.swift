import Hummingbird
import JSON

/// An OrderDesk-style failure: an HTTP status plus the `{"status":"error","message":…}` body that
/// OrderDesk clients read. This is the one place where simulator errors become HTTP responses.
struct SimulatorError: Error, HTTPResponseError, CustomStringConvertible {
    let status: HTTPResponse.Status
    let message: String
    /// Extra headers, e.g. `X-Retry-After` on a 429.
    var headers: HTTPFields = [:]

    var description: String { "\(status.code) \(message)" }

    /// Malformed input or a broken validation rule. OrderDesk documents no code for this; 400 is the
    /// simulator's choice (there is no evidence of 422).
    static func badRequest(_ message: String) -> Self { .init(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> Self { .init(status: .notFound, message: message) }
    static func unauthorized(_ message: String) -> Self { .init(status: .unauthorized, message: message) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response.orderDesk(
            ["status": "error", "message": .string(message)], status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}
