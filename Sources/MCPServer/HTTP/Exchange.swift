import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging
import NIOCore
import Postgres

/// One HTTP exchange: the request, its correlation id, and the responses it may produce. Every
/// response carries `X-Request-ID`.
struct Exchange {
    let request: Request
    let context: MCPRequestContext
    /// The client's address: the peer, or what a trusted proxy forwarded (`TrustedProxies`).
    let clientIP: String?
    let correlationID = UUID().uuidString.lowercased()

    func json(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        json(status, encoded: body.encoded())
    }

    /// A response whose JSON text is already written.
    func json(_ status: HTTPResponse.Status, encoded body: Data) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .requestID: correlationID]
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }

    func failure(_ status: HTTPResponse.Status, _ error: JSONRPCError, id: JSONValue? = nil) -> Response {
        json(status, JSONRPCResponse.error(id: id, error))
    }

    func accepted() -> Response { empty(.accepted) }

    func empty(_ status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.requestID: correlationID])
    }

    /// An error outside a tool call. Only a real database outage answers 503 `database_unavailable`;
    /// a value the database refused is the client's (400 `invalid_params`); anything else is ours
    /// (500). Details only in the log.
    func unexpectedFailure(_ error: any Error, logger: Logger, id: JSONValue? = nil) -> Response {
        logger.error("request failed", metadata: ["request_id": "\(correlationID)", "error": "\(error)"])
        if let error = error as? PostgresError, error.isDataError {
            return failure(.badRequest, .invalidParams("a value in the request cannot be stored; check its text"), id: id)
        }
        guard let error = error as? PostgresError, error.isOutage else {
            return failure(
                .internalServerError,
                .internalError("Something went wrong on our side; request \(correlationID) identifies it."), id: id)
        }
        var response = failure(
            .serviceUnavailable,
            .internalError("The service's database is unavailable right now; retry shortly.", code: "database_unavailable"),
            id: id)
        response.headers[.retryAfter] = "5"
        return response
    }
}
