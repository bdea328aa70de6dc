import Foundation
import JSON
import Postgres
import TestSupport
import Testing

@testable import App

/// `orderdesk-mcp audit prune`: whole months older than the cutoff go, nothing else.
@Suite(.serialized) struct AuditRetentionTests {
    /// Partitions for the last sixteen months with rows every 30 days back to 450 days, one at the
    /// start of the month that holds a 400-day cutoff, and one twenty months back, which has no
    /// partition and so sits in DEFAULT.
    func populate(_ fixture: AppFixture) async throws {
        try await fixture.asSuperuser { tx in
            try tx.execute(
                """
                SELECT orderdesk.create_audit_partition((date_trunc('month', now() AT TIME ZONE 'UTC')
                                                         - make_interval(months => m))::date)
                FROM generate_series(1, 16) AS m
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.audit_log (tenant_id, occurred_at, correlation_id, action, outcome)
                SELECT NULL::uuid, now() - make_interval(days => 30 * m), 'month-' || m, 'auth.failed', 'denied'
                FROM generate_series(0, 15) AS m
                UNION ALL
                SELECT NULL, date_trunc('month', (now() - interval '400 days') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
                       'cutoff-month', 'auth.failed', 'denied'
                UNION ALL
                SELECT NULL, now() - interval '20 months', 'in-default', 'auth.failed', 'denied'
                """)
        }
    }

    func state(_ fixture: AppFixture) async throws -> (partitions: [String], rows: [String]) {
        let partitions = try await AuditPartitionFixture.partitions(fixture.scratch)
        let rows = try await fixture.asSuperuser { tx in
            try tx.query("SELECT correlation_id || ' ' || action AS r FROM orderdesk.audit_log ORDER BY id").map {
                try $0.decode(String.self, "r")
            }
        }
        return (partitions, rows)
    }

    @Test func dryRunChangesNothingAndARunDropsOnlyWholeOldMonths() async throws {
        try await AppFixture.run { fixture in
            try await populate(fixture)
            let owner = Database(configuration: DatabaseConfiguration(url: fixture.scratch.ownerURL, poolSize: 1))
            defer { Task { await owner.shutdown() } }
            let retention = AuditRetention(database: owner)
            let before = try await state(fixture)

            let preview = try await retention.prune(olderThanDays: 400, dryRun: true)
            #expect(try await state(fixture) == before)
            // Exactly the months that end at or before the cutoff.
            let expected = before.partitions.filter { name in
                guard let start = Self.monthStart(of: name) else { return false }
                return AuditPartitionFixture.utc.date(byAdding: .month, value: 1, to: start)! <= preview.cutoff
            }
            #expect(preview.partitions.map(\.name) == expected)
            #expect(expected.count >= 2, "\(before.partitions)")
            #expect(preview.partitions.allSatisfy { $0.end <= preview.cutoff })

            let run = try await retention.prune(olderThanDays: 400, dryRun: false)
            #expect(run.partitions.map(\.name) == expected)
            let after = try await state(fixture)
            #expect(after.partitions == before.partitions.filter { !expected.contains($0) })
            #expect(after.partitions.contains("audit_log_default"))
            #expect(after.rows.contains("in-default auth.failed"))
            // The month holding the cutoff keeps its rows, even those older than the cutoff.
            #expect(after.rows.contains("cutoff-month auth.failed"))
            #expect(after.rows.contains("month-13 auth.failed"))
            #expect(!after.rows.contains("month-15 auth.failed"))

            let record = try await fixture.asSuperuser { tx in
                try tx.query(
                    """
                    SELECT tenant_id IS NULL AS tenantless, actor, params FROM orderdesk.audit_log
                    WHERE action = 'cli.audit.prune'
                    """)
            }
            #expect(record.count == 1)
            #expect(try record.first?.decode(Bool.self, "tenantless") == true)
            #expect(try record.first?.decode(String.self, "actor") == "cli")
            let params = try record.first?.decode(JSONValue.self, "params")
            #expect(params?["partitions"] == .array(expected.map(JSONValue.string)))
            #expect(params?["older_than_days"] == 400)
            await owner.shutdown()
        }
    }

    @Test func lessThanThirtyOneDaysIsRefusedEverywhere() async throws {
        try await AppFixture.run { fixture in
            try await populate(fixture)
            let before = try await state(fixture)
            let owner = Database(configuration: DatabaseConfiguration(url: fixture.scratch.ownerURL, poolSize: 1))
            defer { Task { await owner.shutdown() } }
            await #expect(throws: AuditRetention.TooRecent.self) {
                try await AuditRetention(database: owner).prune(olderThanDays: 30, dryRun: false)
            }
            // The database refuses it too, and the app role may not prune at all.
            let sqlError = await #expect(throws: PostgresError.self) {
                try await owner.withUnscopedTransaction { tx in
                    try tx.query("SELECT * FROM orderdesk.prune_audit_partitions(30, false)")
                }
            }
            #expect(sqlError?.sqlState == "22023")
            let appError = await #expect(throws: PostgresError.self) {
                try await fixture.database.withUnscopedTransaction { tx in
                    try tx.query("SELECT * FROM orderdesk.prune_audit_partitions(400, false)")
                }
            }
            #expect(appError?.sqlState == "42501")

            let cli = try await BinaryProcess.run(
                "orderdesk-mcp", ["audit", "prune", "--older-than", "30d", "--database-url", fixture.scratch.ownerURL])
            #expect(cli.exitCode != 0)
            #expect(cli.errorOutput.contains("at least 31d"), "\(cli.errorOutput)")
            #expect(try await state(fixture) == before)
            await owner.shutdown()
        }
    }

    @Test func commandPrintsWhatADryRunWouldDrop() async throws {
        try await AppFixture.run { fixture in
            try await populate(fixture)
            let before = try await state(fixture)
            let cli = try await BinaryProcess.run(
                "orderdesk-mcp",
                ["audit", "prune", "--older-than", "400d", "--dry-run", "--database-url", fixture.scratch.ownerURL])
            #expect(cli.exitCode == 0, "\(cli.errorOutput)")
            let oldest = AuditPartitionFixture.partitionName(monthsFromNow: -16)
            #expect(cli.output.contains("would drop \(oldest)"), "\(cli.output)")
            #expect(cli.output.contains("(dry run: nothing changed)"))
            #expect(!cli.output.contains("audit_log_default"))
            #expect(try await state(fixture) == before)
        }
    }

    /// `audit_log_2025_09` → 2025-09-01T00:00:00Z; nil for DEFAULT.
    static func monthStart(of partition: String) -> Date? {
        let parts = partition.split(separator: "_")
        guard parts.count == 4, let year = Int(parts[2]), let month = Int(parts[3]) else { return nil }
        return AuditPartitionFixture.utc.date(from: DateComponents(year: year, month: month, day: 1))
    }
}
