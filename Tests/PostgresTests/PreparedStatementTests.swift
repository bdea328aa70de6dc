import Foundation
import Postgres
import TestSupport
import Testing

/// Statements are prepared once per connection (named, by SQL text and parameter types) and then
/// only executed, in plain calls and in pipelines alike.
@Suite(.serialized) struct PreparedStatementTests {
    func withDatabase(_ body: (Database) async throws -> Void) async throws {
        let database = Database(configuration: DatabaseConfiguration(url: try TestDatabase.adminURL, poolSize: 1))
        do {
            try await body(database)
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }

    /// The session's own prepared statements, from the server's view.
    static func preparedStatements(_ connection: PostgresConnection) throws -> [String] {
        try connection.execute("SELECT statement FROM pg_catalog.pg_prepared_statements WHERE name LIKE 'odmcp_%'")
            .rows.map { try $0.decode(String.self, "statement") }
    }

    @Test func aRepeatedStatementIsPreparedOnceAndStillGetsItsOwnValues() async throws {
        try await withDatabase { database in
            try await database.withConnection { connection in
                let first = try connection.execute("SELECT \(41) + 1 AS answer").rows[0].decode(Int.self, "answer")
                let second = try connection.execute("SELECT \(1) + 1 AS answer").rows[0].decode(Int.self, "answer")
                #expect(first == 42 && second == 2)
                let same = try Self.preparedStatements(connection).filter { $0.contains("+ 1 AS answer") }
                #expect(same.count == 1)
                // Same text, other parameter type: a statement of its own, and the right result.
                let text = try connection.execute("SELECT \("x") || 'y' AS joined").rows[0].decode(String.self, "joined")
                let bytes = try connection.execute("SELECT length(\([UInt8]([1, 2, 3]))) AS n").rows[0].decode(Int.self, "n")
                #expect(text == "xy" && bytes == 3)
            }
        }
    }

    @Test func pipelinesPrepareInlineAndReuse() async throws {
        try await withDatabase { database in
            let tenant = UUID()
            for round in 0..<3 {
                let rows = try await database.statement(
                    "SELECT current_setting('app.tenant_id') AS tenant, \(round) AS round", tenant: tenant
                ).rows
                #expect(try rows[0].decode(String.self, "tenant") == tenant.uuidString.lowercased())
                #expect(try rows[0].decode(Int.self, "round") == round)
            }
            let names = try await database.withConnection { connection in try Self.preparedStatements(connection) }
            #expect(names.filter { $0.contains("AS round") }.count == 1)
            #expect(names.filter { $0.contains("set_config") }.count == 1)
            // A statement that fails to prepare reports its own error, and the pipeline stays usable.
            let error = await caught(PostgresError.self) {
                try await database.statement("SELEC broken", tenant: tenant)
            }
            #expect(error?.sqlState == "42601")
            let after = try await database.statement("SELECT 5 AS five", tenant: tenant)
            #expect(try after.rows[0].decode(Int.self, "five") == 5)
        }
    }

    @Test func statementsDroppedByTheServerArePreparedAgain() async throws {
        try await withDatabase { database in
            try await database.withConnection { connection in
                _ = try connection.execute("SELECT \(1) AS one")
                // What a pooler's DISCARD ALL does to the session.
                try connection.executeScript(unsafeSQL: "DEALLOCATE ALL")
                var error: PostgresError?
                do { _ = try connection.execute("SELECT \(1) AS one") } catch let failure as PostgresError { error = failure }
                #expect(error?.sqlState == "26000")
                #expect(try connection.execute("SELECT \(1) AS one").rows[0].decode(Int.self, "one") == 1)
            }
        }
    }
}
