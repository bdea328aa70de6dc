/// A failure of the order services themselves, as opposed to OrderDesk's (`OrderDeskError`, passed
/// through unchanged) or the database's.
///
/// `message` is safe to show to an agent: it says what happened and what to do next, and never holds
/// a credential, SQL or an order's contents.
public struct OrderServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The store's upstream bucket stayed empty for `upstreamMaxWait`; `retryAfterSeconds` says when
        /// a token will be back.
        case rateLimited = "rate_limited"
        /// `expected_date_updated` did not match the order (`currentDateUpdated` holds OrderDesk's
        /// value; nothing was sent), another update of the order held it past `updateLockTimeout`, or a
        /// create with the same idempotency key is still running (`retryAfterSeconds` set).
        case conflict
        /// The idempotency key was used before with a different order body.
        case idempotencyMismatch = "idempotency_mismatch"
        /// The request cannot be carried out as asked: it names something the store does not have
        /// (e.g. a folder; the message lists the choices) or would leave a negative stock. Nothing was
        /// written.
        case validation = "validation_error"
        /// What the request names does not exist in OrderDesk (e.g. no inventory item has that SKU).
        case notFound = "not_found"
    }

    public let code: Code
    public let message: String
    /// Whole seconds after which a retry can succeed, when known.
    public let retryAfterSeconds: Int?
    /// For an `expected_date_updated` mismatch: the order's `date_updated` as OrderDesk holds it now.
    public let currentDateUpdated: String?

    public init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil, currentDateUpdated: String? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.currentDateUpdated = currentDateUpdated
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
