import Foundation
import Postgres
import TestSupport
import Testing

@testable import App

/// Migration 0019 converts a populated `audit_log` (built at 0018, rows over fifteen months) into
/// monthly partitions without losing or changing a row, and keeps its guarantees.
@Suite(.serialized) struct AuditPartitionMigrationTests {
    let tenantA = UUID()
    let tenantB = UUID()

    @Test func populatedAuditLogIsConvertedWithoutLosingARow() async throws {
        let scratch = try await TestDatabase.createEmpty()
        do {
            try await check(scratch)
        } catch {
            try? await scratch.drop()
            throw error
        }
        try await scratch.drop()
    }

    func check(_ scratch: ScratchDatabase) async throws {
        let through0018 = try Self.migrations(through: "0018")
        defer { try? FileManager.default.removeItem(at: through0018) }
        let old = try await MigrationTool.run(["up", "--migrations-dir", through0018.path], url: scratch.ownerURL)
        #expect(old.exitCode == 0, "\(old.errorOutput)")
        let lastID = try await populate(scratch)
        let before = try await dump(scratch)
        #expect(before.rows.count > 1600)

        try await MigrationTool.migrate(url: scratch.ownerURL)

        // Every row, every column, and what the auditor sees through the views: identical.
        let after = try await dump(scratch)
        #expect(after.rows == before.rows)
        #expect(after.columns == before.columns)
        #expect(after.views == before.views)
        let partitions = try await AuditPartitionFixture.partitions(scratch)
        #expect(partitions.contains("audit_log_default"))
        #expect(partitions.count >= 16 + 3 + 1, "\(partitions)")
        #expect(partitions.contains(AuditPartitionFixture.partitionName(monthsFromNow: 3)))
        let inDefault = try await scratch.asOwner { tx in
            try tx.query("SELECT count(*) AS n FROM orderdesk.audit_log_default")[0].decode(Int.self, "n")
        }
        #expect(inDefault == 0)
        #expect(try await AuditPartitionFixture.lint(scratch) == [])

        let app = scratch.appDatabase(poolSize: 2)
        do {
            try await checkAppRole(scratch, app, lastID: lastID)
        } catch {
            await app.shutdown()
            throw error
        }
        await app.shutdown()
    }

    /// New rows continue the sequence; the app still cannot change or remove rows; tenants stay apart
    /// through the parent and through a partition.
    func checkAppRole(_ scratch: ScratchDatabase, _ app: Database, lastID: Int) async throws {
        try await AuditLog(database: app, replicaID: "after-0019").record(
            AuditRecord(tenantID: tenantA, correlationID: "after-0019", actor: "cli", action: "orders_get", outcome: "ok"))
        let newID = try await scratch.asOwner { tx in
            try tx.query("SELECT id FROM orderdesk.audit_log WHERE correlation_id = 'after-0019'")[0].decode(Int.self, "id")
        }
        #expect(newID > lastID)

        let partition = try await scratch.asOwner { tx in
            try tx.query(
                "SELECT tableoid::regclass::text AS p FROM orderdesk.audit_log WHERE tenant_id = \(tenantB) LIMIT 1"
            )[0].decode(String.self, "p")
        }
        for sql in [
            "UPDATE orderdesk.audit_log SET outcome = 'ok'", "DELETE FROM orderdesk.audit_log",
            "TRUNCATE orderdesk.audit_log", "SELECT count(*) FROM \(partition)", "DELETE FROM \(partition)",
            "UPDATE \(partition) SET outcome = 'ok'",
        ] {
            #expect(await AuditPartitionFixture.refusal(app, tenant: tenantA, sql) == "42501", "\(sql)")
        }

        let expected = try await scratch.asOwner { [tenantA] tx in
            try tx.query("SELECT count(*) AS n FROM orderdesk.audit_log WHERE tenant_id = \(tenantA)")[0]
                .decode(Int.self, "n")
        }
        let seen = try await app.withTenantTransaction(tenantA) { [tenantA] tx in
            let row = try tx.query(
                """
                SELECT count(*) AS n, count(*) FILTER (WHERE tenant_id IS DISTINCT FROM \(tenantA)) AS others
                FROM orderdesk.audit_log
                """)[0]
            return (try row.decode(Int.self, "n"), try row.decode(Int.self, "others"))
        }
        #expect(seen.0 == expected && seen.1 == 0)

        // The partition's own policies, should anyone ever grant the app a partition directly.
        let throughPartition = try await scratch.asOwner { [tenantA, tenantB] tx in
            try tx.execute(PostgresQuery(unsafeSQL: "GRANT SELECT ON \(partition) TO orderdesk_app"))
            try tx.execute("SET LOCAL ROLE orderdesk_app")
            _ = try tx.query("SELECT set_config('app.tenant_id', \(tenantA.uuidString.lowercased()), true)")
            let row = try tx.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT count(*) FILTER (WHERE tenant_id = '\(tenantA.uuidString.lowercased())') AS mine,
                               count(*) FILTER (WHERE tenant_id IS DISTINCT FROM '\(tenantA.uuidString.lowercased())') AS others
                        FROM \(partition)
                        """))[0]
            try tx.execute("RESET ROLE")
            try tx.execute(PostgresQuery(unsafeSQL: "REVOKE SELECT ON \(partition) FROM orderdesk_app"))
            let present = try tx.query(
                PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(partition) WHERE tenant_id = '\(tenantB)'"))[0]
            return (try row.decode(Int.self, "mine"), try row.decode(Int.self, "others"), try present.decode(Int.self, "n"))
        }
        #expect(throughPartition.0 > 0 && throughPartition.1 == 0 && throughPartition.2 > 0)
    }

    /// Two tenants and rows over fifteen months up to now (some in the current month), every column
    /// used; then the sequence is advanced past the last row (as a rolled-back insert would). Returns
    /// the sequence's last value.
    func populate(_ scratch: ScratchDatabase) async throws -> Int {
        try await scratch.asOwner { [tenantA, tenantB] tx in
            try tx.execute(
                """
                INSERT INTO orderdesk.tenants (id, name, hkdf_salt)
                VALUES (\(tenantA), 'Tenant A', \(Array(repeating: UInt8(1), count: 32))),
                       (\(tenantB), 'Tenant B', \(Array(repeating: UInt8(2), count: 32)))
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.audit_log (tenant_id, occurred_at, correlation_id, session_hash, replica_id, actor,
                    action, store_id, target, params, outcome, error_code, duration_ms, client_ip, user_agent,
                    protocol_version, traceparent)
                SELECT CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN \(tenantA) ELSE \(tenantB) END,
                       now() - make_interval(mins => g * 415),
                       'req-' || g, CASE WHEN g % 2 = 0 THEN md5(g::text) END, 'replica-' || g % 2, 'odmk_' || g % 10,
                       (ARRAY['orders_get', 'orders_update', 'auth.failed'])[g % 3 + 1], '1000' || g % 4,
                       CASE WHEN g % 5 <> 0 THEN (900000 + g)::text END,
                       jsonb_build_object('g', g, 'note', 'grüße ' || g, 'nested', jsonb_build_object('n', g % 7)),
                       (ARRAY['ok', 'error', 'denied', 'rate_limited', 'started'])[g % 5 + 1],
                       CASE WHEN g % 5 = 1 THEN 'not_found' END, g % 1000, ('203.0.113.' || g % 250)::inet,
                       'agent/' || g, CASE WHEN g % 4 = 0 THEN '2026-07-28' END,
                       CASE WHEN g % 7 = 0 THEN '00-' || md5(g::text) || '-' || left(md5((g + 1)::text), 16) || '-01' END
                FROM generate_series(0, 1599) AS g
                """)
            // More rows in the current month, whatever day it is.
            try tx.execute(
                """
                INSERT INTO orderdesk.audit_log (tenant_id, occurred_at, correlation_id, action, outcome)
                SELECT \(tenantB), date_trunc('month', now()) + (now() - date_trunc('month', now())) * (g / 20.0),
                       'now-' || g, 'orders_list', 'ok'
                FROM generate_series(0, 19) AS g
                """)
            return try tx.query(
                "SELECT max(nextval(pg_get_serial_sequence('orderdesk.audit_log', 'id'))) AS id FROM generate_series(1, 5)"
            )[0].decode(Int.self, "id")
        }
    }

    struct Dump: Equatable {
        var rows: [String]
        var columns: [String]
        var views: [String]
    }

    /// Every row of audit_log with all its columns (superuser, by id), its column list, and every
    /// row of the three auditor views read as the auditor.
    func dump(_ scratch: ScratchDatabase) async throws -> Dump {
        let (rows, columns) = try await scratch.asOwner { tx in
            let rows = try tx.query("SELECT a::text AS r FROM orderdesk.audit_log AS a ORDER BY id").map {
                try $0.decode(String.self, "r")
            }
            let columns = try tx.query(
                """
                SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
                       || ' ' || coalesce(column_default, '') AS c
                FROM information_schema.columns
                WHERE table_schema = 'orderdesk' AND table_name IN ('audit_log', 'audit_events', 'audit_failures',
                                                                     'audit_order_history')
                ORDER BY table_name, ordinal_position
                """
            ).map { try $0.decode(String.self, "c") }
            return (rows, columns)
        }
        let auditor = Database(configuration: DatabaseConfiguration(url: scratch.auditorURL, poolSize: 1))
        defer { Task { await auditor.shutdown() } }
        let views = try await auditor.withUnscopedTransaction { tx in
            var lines: [String] = []
            let sources = [("audit_events", "ORDER BY id"), ("audit_failures", "ORDER BY id"), ("audit_order_history", "")]
            for (view, order) in sources {
                let query = PostgresQuery(unsafeSQL: "SELECT v::text AS r FROM orderdesk.\(view) AS v \(order)")
                lines += try tx.query(query).map { "\(view): " + (try $0.decode(String.self, "r")) }
            }
            return lines
        }
        await auditor.shutdown()
        return Dump(rows: rows, columns: columns, views: views)
    }

    /// A directory holding the migrations up to and including `version`.
    static func migrations(through version: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: TestDatabase.migrationsDirectory.path)
        for name in names where name.hasSuffix(".sql") && String(name.prefix(4)) <= version {
            try FileManager.default.copyItem(
                at: TestDatabase.migrationsDirectory.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        return directory
    }
}
