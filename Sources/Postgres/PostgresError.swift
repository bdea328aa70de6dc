/// An error from the database layer.
///
/// `description` is deliberately generic: it names the kind of failure and the SQLSTATE, never the
/// SQL text, the bound values or the server's message (which can quote values, e.g. "invalid input
/// syntax for type uuid: …"). Code branches on `code` and `sqlState`; operator tools that must show
/// the server's words (the migration runner) read `serverMessage` explicitly.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed = "connection failed"
            case connectionClosed = "connection lost"
            case server = "server error"
            case queryTimeout = "statement timeout"
            case poolTimeout = "timed out waiting for a database connection"
            case poolClosed = "database pool is shut down"
            case decoding = "could not decode a column"
            case tenantContext = "could not establish tenant context"
            case invalidQuery = "invalid query"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server could not be reached or refused the login.
        public static let connectionFailed = Code(.connectionFailed)
        /// An established connection broke (server restart, network).
        public static let connectionClosed = Code(.connectionClosed)
        /// The server rejected a statement; see `sqlState`.
        public static let server = Code(.server)
        /// The statement ran past `statement_timeout` (SQLSTATE 57014).
        public static let queryTimeout = Code(.queryTimeout)
        /// No connection became free within the pool's acquire timeout.
        public static let poolTimeout = Code(.poolTimeout)
        /// The pool was shut down.
        public static let poolClosed = Code(.poolClosed)
        /// A column's value did not decode to the requested Swift type.
        public static let decoding = Code(.decoding)
        /// `set_config('app.tenant_id', …)` did not take effect; the transaction was rolled back.
        public static let tenantContext = Code(.tenantContext)
        /// The query could not be sent (e.g. a NUL byte in a text parameter).
        public static let invalidQuery = Code(.invalidQuery)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    /// The violated constraint's name, for unique/foreign-key/check violations.
    public let constraintName: String?
    /// The server's or libpq's own message. It may contain values from the statement: never put it
    /// into a response, an audit row or a log line at info level.
    public let serverMessage: String?

    public init(code: Code, sqlState: String? = nil, constraintName: String? = nil, serverMessage: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.constraintName = constraintName
        self.serverMessage = serverMessage
    }

    public var description: String {
        if let sqlState { return "PostgreSQL \(code) (SQLSTATE \(sqlState))" }
        return "PostgreSQL \(code)"
    }

    /// True when the connection itself is unusable, so retrying on a fresh connection may succeed.
    public var isConnectionFailure: Bool {
        code == .connectionFailed || code == .connectionClosed
            || sqlState.map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "57P02" || $0 == "57P03" } == true
    }
}

extension PostgresError {
    /// SQLSTATE 23505.
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// The server refused the data itself (SQLSTATE class 22 data exception or 23 integrity
    /// constraint violation): the same statement with other values may succeed.
    public var isDataError: Bool { sqlState.map { $0.hasPrefix("22") || $0.hasPrefix("23") } ?? false }
    /// The database could not serve the request at all (unreachable, restarting, every connection
    /// busy past the acquire timeout, a statement cut off by `statement_timeout`, shutting down):
    /// the only failures a caller should hear as "the database is unavailable, retry shortly".
    public var isOutage: Bool {
        isConnectionFailure || code == .poolTimeout || code == .queryTimeout || code == .poolClosed
    }
    /// SQLSTATE 42501: a row-level-security `WITH CHECK` or a missing grant.
    public var isInsufficientPrivilege: Bool { sqlState == "42501" }
}
