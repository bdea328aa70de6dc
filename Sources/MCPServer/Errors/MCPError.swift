import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore

/// Every failure this service reports, wherever it happens: refused at the HTTP edge, a JSON-RPC
/// error, or a tool's `isError` result. It carries the one mapping from failure to HTTP status,
/// JSON-RPC code and stable `ErrorCode`; `MCPError(from:)` is the one place domain errors become it.
///
/// `message` says what to do next and never carries a secret, SQL or a stack trace.
public struct MCPError: Error, Sendable, Equatable {
    public let code: ErrorCode
    public let message: String
    public var retryAfterSeconds: Int?
    /// Extra structured details (e.g. the stores to choose from).
    public var details: JSONValue?
    /// The HTTP status when this error ends the exchange (the code's own unless said otherwise).
    public var status: HTTPResponse.Status
    /// The JSON-RPC id of the request it answers, once the body was read.
    var id: JSONValue?
    /// `WWW-Authenticate` of a 401.
    var challenge: String?
    /// `Allow` of a 405.
    var allow: String?
    /// A refusal of a `tools/call` that must end the HTTP exchange with `status` (and `challenge`)
    /// in every revision instead of travelling as a tool error: an OAuth access token without the
    /// scope the tool needs (403 `insufficient_scope`, so the client can ask for more).
    var endsExchange = false

    public init(
        _ code: ErrorCode, _ message: String, retryAfterSeconds: Int? = nil, details: JSONValue? = nil,
        status: HTTPResponse.Status? = nil
    ) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.details = details
        self.status = status ?? code.httpStatus
    }

    /// The same failure answering the JSON-RPC request `id`.
    func answering(_ id: JSONValue?) -> MCPError {
        var copy = self
        copy.id = id
        return copy
    }

    // MARK: The request itself

    public static func parseError(_ detail: String) -> MCPError { MCPError(.parseError, "Parse error: \(detail)") }
    public static func invalidRequest(_ detail: String, status: HTTPResponse.Status = .badRequest) -> MCPError {
        MCPError(.invalidRequest, "Invalid Request: \(detail)", status: status)
    }
    public static func methodNotFound(_ method: String) -> MCPError {
        MCPError(.methodNotFound, "Method not found: \(method)")
    }
    public static func invalidParams(_ detail: String) -> MCPError { MCPError(.invalidParams, "Invalid params: \(detail)") }

    // MARK: Tool outcomes

    public static func validation(_ message: String) -> MCPError { MCPError(.validationError, message) }
    public static func notFound(_ message: String) -> MCPError { MCPError(.notFound, message) }
    public static func forbidden(_ message: String) -> MCPError { MCPError(.forbidden, message) }
    public static let notAuthenticated = MCPError(
        .unauthorized,
        "This session is not authenticated: send `Authorization: Bearer <master key>` or call tenant_use_master_key first.")

    // MARK: Ours

    public static let databaseUnavailable = MCPError(
        .databaseUnavailable, "The service's database is unavailable right now; retry shortly.", retryAfterSeconds: 5)
    public static let internalError = MCPError(
        .internalError, "Something went wrong on our side; the request id identifies it.")

    // MARK: Wire shapes

    /// The JSON-RPC error object.
    /// The JSON-RPC error object; `data` carries the stable code and the details (for example the
    /// `supported` and `requested` versions of `UnsupportedProtocolVersion`).
    var jsonRPC: JSONRPCError {
        var data: [String: JSONValue] = details?.objectValue ?? [:]
        data["code"] = .string(code.rawValue)
        return JSONRPCError(code: code.jsonRPCCode, message: message, data: .object(data))
    }

    /// `structuredContent` of a tool result with `isError: true`.
    var toolResult: JSONValue {
        var error: [String: JSONValue] = ["code": .string(code.rawValue), "message": .string(message)]
        if let retryAfterSeconds { error["retry_after"] = .int(Int64(retryAfterSeconds)) }
        if let details { error["details"] = details }
        return ["error": .object(error)]
    }

    /// The HTTP answer: `status`, a JSON-RPC error body, and the headers the failure calls for.
    func response(correlationID: String) -> Response {
        var response = Response.json(status, JSONRPCResponse.error(id: id, jsonRPC), correlationID: correlationID)
        if let retryAfterSeconds { response.headers[.retryAfter] = String(retryAfterSeconds) }
        if let challenge { response.headers[.wwwAuthenticate] = challenge }
        if let allow { response.headers[.allow] = allow }
        return response
    }
}

extension Response {
    /// A JSON answer; every answer of `/mcp` says `no-store` and carries `X-Request-ID`.
    static func json(_ status: HTTPResponse.Status, encoded body: Data, correlationID: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .requestID: correlationID]
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }

    static func json(_ status: HTTPResponse.Status, _ body: JSONValue, correlationID: String) -> Response {
        json(status, encoded: body.encoded(), correlationID: correlationID)
    }
}
