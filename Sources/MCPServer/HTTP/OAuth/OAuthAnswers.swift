import App
import Foundation
import HTTPTypes
import Hummingbird
import JSON

/// Answers and request checks shared by the authorization server's JSON endpoints.
enum OAuthAnswers {
    /// An RFC 6749 §5.2 (or RFC 7591 §3.2.2) error: `{"error":…,"error_description":…}`, `no-store`.
    /// The description is fixed text of this server: it never echoes a code, a token or a parameter.
    static func error(
        _ status: HTTPResponse.Status, _ code: String, _ description: String, correlationID: String
    ) -> Response {
        var response = Response.json(
            status, ["error": .string(code), "error_description": .string(description)], correlationID: correlationID)
        response.headers[.pragma] = "no-cache"
        return response
    }

    /// The 429 of a client address over its budget.
    static func tooManyRequests(retryAfter: Int, correlationID: String) -> Response {
        var response = error(
            .tooManyRequests, "rate_limited", "Too many requests from this address; retry in \(retryAfter) seconds.",
            correlationID: correlationID)
        response.headers[.retryAfter] = String(retryAfter)
        return response
    }

    /// The 503 of a database failure.
    static func unavailable(correlationID: String) -> Response {
        var response = error(
            .serviceUnavailable, "temporarily_unavailable", "The server cannot answer right now; retry shortly.",
            correlationID: correlationID)
        response.headers[.retryAfter] = "5"
        return response
    }

    /// 405 with `Allow`.
    static func methodNotAllowed(allow: String, correlationID: String) -> Response {
        var response = error(
            .methodNotAllowed, "invalid_request", "Only \(allow) is accepted here.", correlationID: correlationID)
        response.headers[.allow] = allow
        return response
    }

    /// The CORS preflight answer: any origin, no credentials (these endpoints use none).
    static func preflight(methods: String, correlationID: String) -> Response {
        var headers: HTTPFields = [.requestID: correlationID]
        headers[.accessControlAllowMethods] = methods
        headers[.accessControlAllowHeaders] = "Content-Type, MCP-Protocol-Version, Authorization"
        headers[.accessControlMaxAge] = "600"
        headers[.allow] = methods
        return Response(status: .noContent, headers: headers)
    }

    /// Whether the `Content-Type` names `mediaType` (parameters such as `charset` are allowed).
    static func hasMediaType(_ request: Request, _ mediaType: String) -> Bool {
        guard let contentType = request.headers[.contentType] else { return false }
        let type = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return type.trimmingCharacters(in: .whitespaces).lowercased() == mediaType
    }

    /// The body, or nil when it is larger than `AuthorizationServerConfiguration.maximumBodyBytes`.
    static func body(_ request: Request) async -> [UInt8]? {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: AuthorizationServerConfiguration.maximumBodyBytes)
        else { return nil }
        return Array(buffer: buffer)
    }

    static func tooLarge(correlationID: String) -> Response {
        error(
            .contentTooLarge, "invalid_request",
            "The body is larger than \(AuthorizationServerConfiguration.maximumBodyBytes / 1024) KiB.",
            correlationID: correlationID)
    }
}

extension HTTPField.Name {
    static let pragma = HTTPField.Name("Pragma")!
}
