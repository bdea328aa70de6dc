import Foundation

/// Everything that can go wrong when talking to OrderDesk, as one error type.
///
/// `message` is safe to show to a user or an AI agent and to write to logs: it is built from fixed
/// text, ids and OrderDesk's own (length-capped) error text, and every occurrence of the store's API
/// key is removed before the error leaves the client. Code branches on `code`, `httpStatus` and
/// `retryAfter`, never on the message text.
public struct OrderDeskError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. An "open enum": new codes can be added without breaking callers
    /// that switch with a default.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case unauthorized
            case notFound = "not_found"
            case rateLimited = "rate_limited"
            case conflict
            case upstreamUnavailable = "upstream_unavailable"
            case badResponse = "bad_response"
            case timeout
            case validation
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// OrderDesk rejected the store id or API key (HTTP 401/403).
        public static let unauthorized = Code(.unauthorized)
        /// The order, item, shipment or inventory item does not exist (HTTP 404).
        public static let notFound = Code(.notFound)
        /// OrderDesk's rate limit (HTTP 429) persisted through the retries or past the deadline;
        /// `retryAfter` says when to try again.
        public static let rateLimited = Code(.rateLimited)
        /// The order changed under us: HTTP 409 persisted through the conflict retries, or
        /// `expectedDateUpdated` did not match (`currentDateUpdated` has the value OrderDesk holds).
        public static let conflict = Code(.conflict)
        /// OrderDesk answered 5xx or could not be reached, after the retries.
        public static let upstreamUnavailable = Code(.upstreamUnavailable)
        /// OrderDesk answered, but not with the JSON shape the API documents.
        public static let badResponse = Code(.badResponse)
        /// No answer within the configured timeout.
        public static let timeout = Code(.timeout)
        /// The request was refused as invalid, by OrderDesk (HTTP 400 and other 4xx, or a 2xx with
        /// `"status":"error"`) or by the client before anything was sent (bad query, bad changes).
        public static let validation = Code(.validation)

        /// A stable snake_case name (`not_found`, `rate_limited`, …), suitable for tool error codes.
        public var description: String { base.rawValue }
    }

    public let code: Code
    /// A safe, human-readable explanation that says what to do next. Never contains a credential.
    public let message: String
    /// The HTTP status OrderDesk answered with, when there was an answer.
    public let httpStatus: Int?
    /// For `rateLimited`: how long OrderDesk asked us to wait (`X-Retry-After`), when it said.
    public let retryAfter: Duration?
    /// For `conflict`: the order's `date_updated` as OrderDesk holds it now, when known.
    public let currentDateUpdated: String?

    init(
        _ code: Code, _ message: String, httpStatus: Int? = nil, retryAfter: Duration? = nil,
        currentDateUpdated: String? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.retryAfter = retryAfter
        self.currentDateUpdated = currentDateUpdated
    }

    public var description: String {
        if let httpStatus { return "OrderDesk \(code) (HTTP \(httpStatus)): \(message)" }
        return "OrderDesk \(code): \(message)"
    }

    public var debugDescription: String { description }
}

extension OrderDeskError {
    /// A request refused by the client itself, before anything was sent.
    static func invalidRequest(_ message: String) -> OrderDeskError {
        OrderDeskError(.validation, message)
    }

    /// The same error with every occurrence of `secret` removed from its texts. Applied to every error
    /// a store call throws, so even an upstream message that echoes the key cannot leak it.
    func redacting(_ secret: String) -> OrderDeskError {
        guard !secret.isEmpty else { return self }
        return OrderDeskError(
            code, message.replacingOccurrences(of: secret, with: "[redacted]"), httpStatus: httpStatus, retryAfter: retryAfter,
            currentDateUpdated: currentDateUpdated?.replacingOccurrences(of: secret, with: "[redacted]"))
    }
}
