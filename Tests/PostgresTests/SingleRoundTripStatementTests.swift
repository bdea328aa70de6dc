import Foundation
import Postgres
import TestSupport
import Testing

/// `Database.statement` (BEGIN, tenant setting, statement and COMMIT as one libpq pipeline) and
/// `PostgresConnection.executePipeline`: same results, errors and tenant isolation as a
/// `withTenantTransaction`, in one round trip.
@Suite(.serialized) struct SingleRoundTripStatementTests {
    func withFixture(poolSize: Int = 1, _ body: (TenantFixture, Database) async throws -> Void) async throws {
        let fixture = try await TenantFixture.make()
        let database = fixture.scratch.appDatabase(poolSize: poolSize)
        do {
            try await body(fixture, database)
        } catch {
            await database.shutdown()
            try await fixture.drop()
            throw error
        }
        await database.shutdown()
        try await fixture.drop()
    }

    @Test func aTenantStatementSeesOnlyThatTenantsRows() async throws {
        try await withFixture { fixture, database in
            for tenant in [fixture.a, fixture.b] {
                let rows = try await database.statement(
                    "SELECT tenant_id, current_setting('app.tenant_id') AS setting FROM orderdesk.stores", tenant: tenant.id
                ).rows
                #expect(rows.count == 1)
                #expect(try rows.first?.decode(UUID.self, "tenant_id") == tenant.id)
                #expect(try rows.first?.decode(String.self, "setting") == tenant.id.uuidString.lowercased())
            }
            let unscoped = try await database.statement("SELECT count(*) AS n FROM orderdesk.stores", tenant: nil)
            #expect(try unscoped.rows[0].decode(Int.self, "n") == 0)
            // The setting was transaction-local: the pooled connection carries no tenant afterwards.
            let after = try await database.withUnscopedTransaction { tx in
                try tx.query("SELECT coalesce(current_setting('app.tenant_id', true), '') AS setting")[0]
                    .decode(String.self, "setting")
            }
            #expect(after == "")
        }
    }

    @Test func aWriteIsCommittedAndRowLevelSecurityStillRefusesAnotherTenant() async throws {
        try await withFixture { fixture, database in
            let key = "statement-test-\(UUID())"
            let inserted = try await database.statement(
                """
                INSERT INTO orderdesk.rate_limit_buckets (tenant_id, bucket, tokens, updated_at)
                VALUES (\(fixture.a.id), \(key), 5, now())
                """, tenant: fixture.a.id)
            #expect(inserted.affectedRows == 1)
            let seen = try await database.withTenantTransaction(fixture.a.id) { tx in
                try tx.query("SELECT tokens FROM orderdesk.rate_limit_buckets WHERE bucket = \(key)").count
            }
            #expect(seen == 1)
            // Tenant A's setting cannot write a row of tenant B.
            let error = await caught(PostgresError.self) {
                try await database.statement(
                    """
                    INSERT INTO orderdesk.rate_limit_buckets (tenant_id, bucket, tokens, updated_at)
                    VALUES (\(fixture.b.id), \(key), 5, now())
                    """, tenant: fixture.a.id)
            }
            #expect(error?.sqlState == "42501")
            // The failed pipeline left the connection clean and reusable (pool of one).
            let stats = await database.poolStatistics()
            #expect(stats.open == 1 && stats.idle == 1)
            let bRows = try await database.statement(
                "SELECT count(*) AS n FROM orderdesk.rate_limit_buckets WHERE bucket = \(key)", tenant: fixture.b.id)
            #expect(try bRows.rows[0].decode(Int.self, "n") == 0)
        }
    }

    @Test func aFailingStatementRollsBackAndKeepsItsSQLState() async throws {
        try await withFixture { fixture, database in
            let error = await caught(PostgresError.self) {
                try await database.statement("SELECT 1 / 0 AS boom", tenant: fixture.a.id)
            }
            #expect(error?.code == .server)
            #expect(error?.sqlState == "22012")
            let next = try await database.statement("SELECT 7 AS seven", tenant: fixture.a.id)
            #expect(try next.rows[0].decode(Int.self, "seven") == 7)
        }
    }

    @Test func aPipelineIsOneImplicitTransactionThatStopsAtTheFirstError() async throws {
        try await withFixture { fixture, database in
            let marker = "pipeline-\(UUID())"
            let error = await caught(PostgresError.self) {
                try await database.withConnection { connection in
                    try connection.executePipeline([
                        "SELECT set_config('app.tenant_id', \(fixture.a.id.uuidString.lowercased()), true)",
                        """
                        INSERT INTO orderdesk.rate_limit_buckets (tenant_id, bucket, tokens, updated_at)
                        VALUES (\(fixture.a.id), \(marker), 1, now())
                        """,
                        "SELECT 1 / 0",
                        "SELECT pg_sleep(5)",
                    ])
                }
            }
            #expect(error?.sqlState == "22012")
            let rows = try await database.statement(
                "SELECT count(*) AS n FROM orderdesk.rate_limit_buckets WHERE bucket = \(marker)", tenant: fixture.a.id)
            #expect(try rows.rows[0].decode(Int.self, "n") == 0)
        }
    }

    @Test func aConnectionTheServerClosedIsReplacedWithoutRunningTwice() async throws {
        try await withFixture { fixture, database in
            let firstPID = try await database.statement("SELECT pg_backend_pid() AS pid", tenant: nil).rows[0]
                .decode(Int.self, "pid")
            let killer = Database(configuration: DatabaseConfiguration(url: try TestDatabase.adminURL, poolSize: 1))
            try await killer.withUnscopedTransaction { tx in try tx.query("SELECT pg_terminate_backend(\(firstPID)::int)") }
            await killer.shutdown()
            try await Waiting.untilBackendIsGone(firstPID)
            let key = "stale-\(UUID())"
            let inserted = try await database.statement(
                """
                INSERT INTO orderdesk.rate_limit_buckets (tenant_id, bucket, tokens, updated_at)
                VALUES (\(fixture.a.id), \(key), 1, now())
                """, tenant: fixture.a.id)
            #expect(inserted.affectedRows == 1)
            let count = try await database.statement(
                "SELECT count(*) AS n, max(pg_backend_pid()) AS pid FROM orderdesk.rate_limit_buckets WHERE bucket = \(key)",
                tenant: fixture.a.id)
            #expect(try count.rows[0].decode(Int.self, "n") == 1)
            #expect(try count.rows[0].decode(Int.self, "pid") != firstPID)
        }
    }
}
