import Postgres

extension EnvironmentReader {
    /// `DB_PREPARED_STATEMENTS`: `named` (default; statements prepared once per connection) or `unnamed`
    /// (nothing kept on the server between transactions; required behind a transaction-mode pooler such
    /// as pgbouncer with `pool_mode = transaction`). Read by `serve` and the operator CLI, never by
    /// `migrate`, which connects straight to PostgreSQL.
    public func preparedStatementMode() throws -> PreparedStatementMode {
        guard let text = text("DB_PREPARED_STATEMENTS") else { return .named }
        guard let mode = PreparedStatementMode(rawValue: text.lowercased()) else {
            throw ConfigurationError(
                variable: "DB_PREPARED_STATEMENTS",
                problem: "must be named (default) or unnamed (behind a transaction-mode pooler such as pgbouncer)")
        }
        return mode
    }
}
