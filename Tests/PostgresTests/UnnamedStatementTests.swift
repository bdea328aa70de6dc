import Foundation
import Postgres
import TestSupport
import Testing

/// `DB_PREPARED_STATEMENTS=unnamed` against PostgreSQL itself: nothing is left on the server between
/// transactions (no prepared statement, no session setting), the settings hold inside every
/// transaction, and failures roll back as with named statements.
@Suite(.serialized) struct UnnamedStatementTests {
    static func database(_ url: String, poolSize: Int = 1, timeout: Int = 5_000, _ mode: PreparedStatementMode = .unnamed)
        -> Database
    {
        Database(
            configuration: DatabaseConfiguration(
                url: url, poolSize: poolSize, statementTimeoutMilliseconds: timeout, preparedStatements: mode))
    }

    func withFixture(_ body: (TenantFixture) async throws -> Void) async throws {
        let fixture = try await TenantFixture.make()
        do {
            try await body(fixture)
        } catch {
            try await fixture.drop()
            throw error
        }
        try await fixture.drop()
    }

    /// Runs the hot paths (a pipelined statement, a transaction of several statements) and returns how
    /// many statements the connection's session has prepared.
    static func preparedAfterTypicalWork(_ database: Database, tenant: UUID) async throws -> Int {
        for round in 0..<3 {
            _ = try await database.statement("SELECT \(round) AS round FROM orderdesk.stores", tenant: tenant)
            try await database.withTenantTransaction(tenant) { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.stores WHERE tenant_id = \(tenant)")
            }
        }
        return try await database.withConnection { connection in
            try connection.execute("SELECT count(*) AS n FROM pg_catalog.pg_prepared_statements").rows[0]
                .decode(Int.self, "n")
        }
    }

    @Test func nothingIsPreparedOnTheServer() async throws {
        try await withFixture { fixture in
            let unnamed = Self.database(fixture.scratch.appURL)
            let named = Self.database(fixture.scratch.appURL, .named)
            let unnamedCount = try await Self.preparedAfterTypicalWork(unnamed, tenant: fixture.a.id)
            let namedCount = try await Self.preparedAfterTypicalWork(named, tenant: fixture.a.id)
            await unnamed.shutdown()
            await named.shutdown()
            #expect(unnamedCount == 0)
            #expect(namedCount >= 3)  // the control: the same work does prepare in the default mode
        }
    }

    @Test func settingsHoldInEveryTransactionAndNeverInTheSession() async throws {
        try await withFixture { fixture in
            // A database whose defaults differ from what the server needs, as a pooled server connection's may.
            try await fixture.scratch.asOwner { tx in
                try tx.execute(
                    PostgresQuery(unsafeSQL: "ALTER DATABASE \"\(fixture.scratch.name)\" SET TimeZone = 'America/New_York'"))
            }
            let database = Self.database(fixture.scratch.appURL, timeout: 300)
            let query: PostgresQuery = """
                SELECT current_setting('TimeZone') AS zone, current_setting('DateStyle') AS style,
                       current_setting('statement_timeout') AS timeout, now()::text AS now
                """
            let inTransaction = try await database.withUnscopedTransaction { tx in try tx.query(query)[0] }
            let inPipeline = try await database.statement(query, tenant: fixture.a.id).rows[0]
            let standalone = try await database.standalone(query).rows[0]
            for row in [inTransaction, inPipeline, standalone] {
                #expect(try row.decode(String.self, "zone") == "UTC")
                #expect(try row.decode(String.self, "style").hasPrefix("ISO"))
                #expect(try row.decode(String.self, "timeout") == "300ms")
                #expect(try row.decode(String.self, "now").hasSuffix("+00"))
            }
            // Between transactions the session has only the database's defaults: nothing was set on it.
            let session = try await database.withConnection { connection in
                try connection.execute("SELECT current_setting('TimeZone') AS zone").rows[0].decode(String.self, "zone")
            }
            #expect(session == "America/New_York")
            // And the per-transaction statement timeout is enforced, in every path.
            let slowTransaction = await caught(PostgresError.self) {
                try await database.withUnscopedTransaction { tx in try tx.query("SELECT pg_sleep(3)") }
            }
            let slowPipeline = await caught(PostgresError.self) {
                try await database.statement("SELECT pg_sleep(3)", tenant: nil)
            }
            let slowStandalone = await caught(PostgresError.self) { try await database.standalone("SELECT pg_sleep(3)") }
            #expect(slowTransaction?.code == .queryTimeout && slowPipeline?.code == .queryTimeout)
            #expect(slowStandalone?.code == .queryTimeout)
            await database.shutdown()
        }
    }

    @Test func aFailureRollsBackEverythingBeforeItAndLeavesTheConnectionClean() async throws {
        try await withFixture { fixture in
            let database = Self.database(fixture.scratch.appURL)
            let marker = "unnamed-\(UUID())"
            let insert: PostgresQuery = """
                INSERT INTO orderdesk.rate_limit_buckets (tenant_id, bucket, tokens, updated_at)
                VALUES (\(fixture.a.id), \(marker), 1, now())
                """
            let inTransaction = await caught(PostgresError.self) {
                try await database.withTenantTransaction(fixture.a.id) { tx in
                    try tx.execute(insert)
                    try tx.query("SELECT 1 / 0")
                }
            }
            let inPipeline = await caught(PostgresError.self) {
                try await database.statement(
                    """
                    WITH added AS (
                        INSERT INTO orderdesk.rate_limit_buckets (tenant_id, bucket, tokens, updated_at)
                        VALUES (\(fixture.a.id), \(marker + "-pipeline"), 1, now()) RETURNING 1)
                    SELECT 1 / 0 FROM added
                    """, tenant: fixture.a.id)
            }
            #expect(inTransaction?.sqlState == "22012" && inPipeline?.sqlState == "22012")
            // Same connection (pool of one), out of the aborted transaction, without the tenant setting.
            let statistics = await database.poolStatistics()
            #expect(statistics.open == 1 && statistics.idle == 1)
            let after = try await database.statement(
                "SELECT coalesce(current_setting('app.tenant_id', true), '') AS tenant", tenant: nil)
            #expect(try after.rows[0].decode(String.self, "tenant") == "")
            let rows = try await database.statement(
                "SELECT count(*) AS n FROM orderdesk.rate_limit_buckets WHERE bucket LIKE \(marker + "%")", tenant: fixture.a.id)
            #expect(try rows.rows[0].decode(Int.self, "n") == 0)
            await database.shutdown()
        }
    }
}
