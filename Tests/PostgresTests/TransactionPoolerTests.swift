import Foundation
import Postgres
import TestSupport
import Testing

/// Through the transaction-mode pgbouncer `make test` starts (scripts/pgbouncer.sh, pool of 8 server
/// connections per database and role): with unnamed statements every path works, a transaction (a
/// pipelined one included) stays on one server connection, tenants never mix although server
/// connections are shared, and a failed pipeline is rolled back on its own server connection.
@Suite(.serialized) struct TransactionPoolerTests {
    func withFixture(_ body: (TenantFixture, String) async throws -> Void) async throws {
        let fixture = try await TenantFixture.make()
        do {
            try await body(fixture, try TestPooler.url(throughPoolerFrom: fixture.scratch.appURL))
        } catch {
            try await fixture.drop()
            throw error
        }
        try await fixture.drop()
    }

    @Test func namedStatementsCannotEvenConnectThroughThePooler() async throws {
        try await withFixture { _, pooled in
            let database = Database(configuration: DatabaseConfiguration(url: pooled, poolSize: 1))
            // pgbouncer 1.18 refuses the startup `options` that carry the session settings.
            let error = await caught(PostgresError.self) { try await database.statement("SELECT 1", tenant: nil) }
            await database.shutdown()
            #expect(error?.code == .connectionFailed)
            #expect(error?.serverMessage?.contains("unsupported startup parameter") == true)
        }
    }

    @Test func clientsShareFewerServerConnectionsAndTenantsNeverMix() async throws {
        try await withFixture { fixture, pooled in
            let clients = 12
            let database = Database(
                configuration: DatabaseConfiguration(url: pooled, poolSize: clients, preparedStatements: .unnamed))
            let tenants = [fixture.a.id, fixture.b.id]
            let serverPIDs = try await withThrowingTaskGroup(of: [Int].self) { group in
                for call in 0..<240 {
                    let tenant = tenants[call % 2]
                    group.addTask {
                        if call % 3 == 0 {
                            // A transaction of several statements: every one on the same server connection.
                            let (first, second, owner) = try await database.withTenantTransaction(tenant) { tx in
                                let pid = try tx.query("SELECT pg_backend_pid() AS pid")[0].decode(Int.self, "pid")
                                let row = try tx.query("SELECT tenant_id, pg_backend_pid() AS pid FROM orderdesk.stores")
                                return (pid, try row[0].decode(Int.self, "pid"), try row[0].decode(UUID.self, "tenant_id"))
                            }
                            #expect(first == second && owner == tenant)
                            return [first]
                        }
                        let rows = try await database.statement(
                            "SELECT tenant_id, pg_backend_pid() AS pid FROM orderdesk.stores", tenant: tenant
                        ).rows
                        #expect(rows.count == 1)
                        #expect(try rows[0].decode(UUID.self, "tenant_id") == tenant)
                        return [try rows[0].decode(Int.self, "pid")]
                    }
                }
                return try await group.reduce(into: Set<Int>()) { $0.formUnion($1) }
            }
            let statistics = await database.poolStatistics()
            await database.shutdown()
            // Every client connection was used, on fewer server connections than clients: transactions
            // of different clients really ran on the same server connections.
            #expect(statistics.open == clients)
            #expect(serverPIDs.count < clients)
        }
    }

    @Test func aFailedPipelineIsRolledBackOnItsServerConnection() async throws {
        try await withFixture { fixture, pooled in
            let database = Database(
                configuration: DatabaseConfiguration(
                    url: pooled, poolSize: 1, statementTimeoutMilliseconds: 300, preparedStatements: .unnamed))
            let marker = "pooled-\(UUID())"
            let failed = await caught(PostgresError.self) {
                try await database.statement(
                    """
                    WITH added AS (
                        INSERT INTO orderdesk.rate_limit_buckets (tenant_id, bucket, tokens, updated_at)
                        VALUES (\(fixture.a.id), \(marker), 1, now()) RETURNING 1)
                    SELECT 1 / 0 FROM added
                    """, tenant: fixture.a.id)
            }
            #expect(failed?.sqlState == "22012")
            // No server connection was left inside the aborted transaction (the pooler would have kept
            // it for this client, and any other client would wait behind it).
            let stuck = try await fixture.scratch.asOwner { tx in
                try tx.query(
                    """
                    SELECT count(*) AS n FROM pg_stat_activity
                    WHERE datname = current_database() AND usename = 'orderdesk_app' AND state LIKE 'idle in transaction%'
                    """)[0].decode(Int.self, "n")
            }
            #expect(stuck == 0)
            let after = try await database.statement(
                """
                SELECT coalesce(current_setting('app.tenant_id', true), '') AS tenant,
                       current_setting('statement_timeout') AS timeout,
                       (SELECT count(*) FROM orderdesk.rate_limit_buckets WHERE bucket = \(marker)) AS n
                """, tenant: nil)
            #expect(try after.rows[0].decode(String.self, "tenant") == "")
            #expect(try after.rows[0].decode(String.self, "timeout") == "300ms")
            #expect(try after.rows[0].decode(Int.self, "n") == 0)
            // The statement timeout, set per transaction, holds behind the pooler too.
            let slow = await caught(PostgresError.self) { try await database.statement("SELECT pg_sleep(3)", tenant: nil) }
            #expect(slow?.code == .queryTimeout)
            await database.shutdown()
        }
    }
}
