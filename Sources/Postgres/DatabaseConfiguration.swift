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
    /// Named statements prepared per connection, or unnamed ones for a transaction-mode pooler
    /// (`DB_PREPARED_STATEMENTS`, default named).
    public var preparedStatements: PreparedStatementMode

    public init(
        url: String, poolSize: Int = 10, statementTimeoutMilliseconds: Int = 5_000,
        acquireTimeoutMilliseconds: Int = 10_000, applicationName: String = "orderdesk-mcp",
        preparedStatements: PreparedStatementMode = .named
    ) {
        self.url = url
        self.poolSize = max(1, poolSize)
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.acquireTimeoutMilliseconds = acquireTimeoutMilliseconds
        self.applicationName = applicationName
        self.preparedStatements = preparedStatements
    }

    /// Settings every transaction runs under. Text formats are fixed so row decoding has one shape to
    /// parse; an idle transaction cannot hold locks forever. (`client_encoding` travels as a connection
    /// parameter of its own, which poolers carry.)
    var sessionSettings: [String: String] {
        [
            "statement_timeout": String(statementTimeoutMilliseconds),
            "idle_in_transaction_session_timeout": String(max(statementTimeoutMilliseconds * 4, 10_000)),
            "lock_timeout": String(statementTimeoutMilliseconds),
            "TimeZone": "UTC",
            "DateStyle": "ISO",
            "bytea_output": "hex",
        ]
    }

    /// The settings sent at login (`-c` options). A transaction-mode pooler can carry none of them
    /// (pgbouncer 1.18 refuses the `options` parameter, and a server connection serves many clients),
    /// so with unnamed statements they are made per transaction instead (`transactionSettings`).
    var startupSettings: [String: String] {
        preparedStatements == .named ? sessionSettings : [:]
    }

    /// With unnamed statements: one statement, run right after `BEGIN` in the same round trip, that
    /// sets `sessionSettings` for that transaction only (`set_config(…, true)`, like `SET LOCAL`).
    var transactionSettings: PostgresQuery? {
        guard preparedStatements == .unnamed else { return nil }
        // The names are this type's own constants; only the values travel as binds.
        let settings = sessionSettings.sorted { $0.key < $1.key }
        let calls = settings.enumerated().map { "set_config('\($0.element.key)', $\($0.offset + 1), true)" }
        return PostgresQuery(
            unsafeSQL: "SELECT " + calls.joined(separator: ", "), binds: settings.map(\.value.postgresBind))
    }
}
