/// How the server reaches PostgreSQL.
public struct DatabaseConfiguration: Sendable {
    /// libpq connection URL (`DATABASE_URL`). Holds a password at most; never logged.
    public var url: String
    /// Most connections open at once, and the number of database threads (`DB_POOL_SIZE`, default 10).
    public var poolSize: Int
    /// Upper bound for any one statement, in milliseconds (`DB_STATEMENT_TIMEOUT_MS`, default 5000).
    public var statementTimeoutMilliseconds: Int
    /// How long a caller waits for a free connection before failing (`DB_ACQUIRE_TIMEOUT_MS`, default 10000).
    public var acquireTimeoutMilliseconds: Int
    /// Shown in `pg_stat_activity`.
    public var applicationName: String

    public init(
        url: String, poolSize: Int = 10, statementTimeoutMilliseconds: Int = 5_000,
        acquireTimeoutMilliseconds: Int = 10_000, applicationName: String = "orderdesk-mcp"
    ) {
        self.url = url
        self.poolSize = max(1, poolSize)
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.acquireTimeoutMilliseconds = acquireTimeoutMilliseconds
        self.applicationName = applicationName
    }

    /// Session settings every connection starts with. Text formats are fixed so row decoding has one
    /// shape to parse; an idle transaction cannot hold locks forever.
    var sessionSettings: [String: String] {
        [
            "statement_timeout": String(statementTimeoutMilliseconds),
            "idle_in_transaction_session_timeout": String(max(statementTimeoutMilliseconds * 4, 10_000)),
            "lock_timeout": String(statementTimeoutMilliseconds),
            "TimeZone": "UTC",
            "DateStyle": "ISO",
            "bytea_output": "hex",
            "client_encoding": "UTF8",
        ]
    }
}
