import App
import Postgres
import Testing

/// `DB_PREPARED_STATEMENTS` as `serve` and the operator CLI read it.
@Suite struct PreparedStatementModeConfigurationTests {
    @Test func namedUnlessTheOperatorAsksForUnnamed() throws {
        #expect(try EnvironmentReader([:]).preparedStatementMode() == .named)
        #expect(try EnvironmentReader(["DB_PREPARED_STATEMENTS": "named"]).preparedStatementMode() == .named)
        #expect(try EnvironmentReader(["DB_PREPARED_STATEMENTS": " Unnamed "]).preparedStatementMode() == .unnamed)
    }

    @Test func anyOtherValueNamesTheVariableAndTheChoices() {
        let error = #expect(throws: ConfigurationError.self) {
            try EnvironmentReader(["DB_PREPARED_STATEMENTS": "transaction"]).preparedStatementMode()
        }
        #expect(error?.variable == "DB_PREPARED_STATEMENTS")
        #expect(error?.problem.contains("named") == true && error?.problem.contains("unnamed") == true)
    }
}
