/// How statements reach PostgreSQL (`DB_PREPARED_STATEMENTS`).
public enum PreparedStatementMode: String, Sendable, CaseIterable {
    /// Each statement is prepared once per connection under a name (`odmcp_N`) and then only executed:
    /// the fastest way, for a direct connection to PostgreSQL or a session-mode pooler. The default.
    case named
    /// Every statement is sent as the unnamed statement (parse, bind and execute in one message
    /// batch), and session settings are made per transaction, so nothing the server keeps outlives a
    /// transaction. For transaction-mode poolers (pgbouncer 1.18 `pool_mode = transaction`), which
    /// hand each transaction to whichever server connection is free.
    case unnamed
}
