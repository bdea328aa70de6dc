import Foundation

/// The HTTP methods OrderDesk's API uses. There is no PATCH.
enum HTTPMethod: String, Sendable {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"

    /// Sending it twice has the same effect as sending it once, so it may be retried even when the
    /// first attempt might have reached OrderDesk. POSTs create things (orders, shipments, notes).
    var isIdempotent: Bool { self != .post }
}

/// One HTTP exchange as libcurl performs it: everything is resolved to bytes and strings, so a work
/// item on the transfer thread needs nothing else.
struct Transfer: Sendable {
    var method: HTTPMethod
    var url: String
    /// `Name: value` lines.
    var headers: [String]
    var body: Data?
    var connectTimeout: Duration
    /// The call's overall deadline; the attempt gets whatever time is left when it starts.
    var deadline: ContinuousClock.Instant
    var maxResponseBytes: Int
}

/// What OrderDesk answered.
struct HTTPResponse: Sendable {
    var status: Int
    /// Header names lower-cased; a repeated header keeps its last value.
    var headers: [String: String]
    var body: Data
}

/// Why no answer arrived.
struct TransportFailure: Sendable, Error {
    enum Kind: Sendable {
        /// The deadline or the connect timeout passed.
        case timeout
        /// DNS, TCP or TLS setup failed: the request was certainly not sent.
        case connect
        /// The connection broke while sending or receiving.
        case network
        /// The response exceeded `maxResponseBytes`.
        case responseTooLarge
        /// The URL or protocol is unusable (a configuration problem, not worth retrying).
        case unusable
    }

    var kind: Kind
    /// False only when libcurl had not started to send the request, so even a non-idempotent
    /// request may be sent again.
    var requestMayHaveBeenSent: Bool
    /// libcurl's generic text for the error code (never contains headers or credentials).
    var detail: String
}

/// The result of one attempt, plus how many new connections libcurl opened for it (0 = reused).
struct TransferResult: Sendable {
    var outcome: Result<HTTPResponse, TransportFailure>
    var newConnections: Int
}
