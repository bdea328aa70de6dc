import Foundation
import Postgres
import TestSupport
import Testing

@testable import App

/// `orderdesk.ensure_audit_partitions` through `AuditPartitions`, as the app role calls it.
@Suite(.serialized) struct AuditPartitionsTests {
    @Test func missingMonthsAheadAreCreatedOnceAndProtected() async throws {
        try await AppFixture.run { fixture in
            let partitions = AuditPartitions(database: fixture.database)
            // The migration made this month and three ahead; six ahead adds three more, oldest first.
            let created = try await partitions.ensureAhead(months: 6)
            #expect(created == (4...6).map { AuditPartitionFixture.partitionName(monthsFromNow: $0) })
            #expect(try await partitions.ensureAhead(months: 6) == [])
            #expect(try await partitions.ensureAhead() == [])

            let names = try await AuditPartitionFixture.partitions(fixture.scratch)
            for month in 0...6 {
                #expect(names.contains(AuditPartitionFixture.partitionName(monthsFromNow: month)), "\(names)")
            }
            // Each new partition has forced RLS, the app and auditor policies, and no grants (lint L1, L12).
            #expect(try await AuditPartitionFixture.lint(fixture.scratch) == [])
        }
    }

    @Test func rowsThatLandedInDefaultMoveIntoTheMonthCreatedForThem() async throws {
        try await AppFixture.run { fixture in
            // Eight months ahead has no partition yet: such a row goes to DEFAULT instead of failing.
            let where8 = try await fixture.asSuperuser { tx in
                try tx.query(
                    """
                    INSERT INTO orderdesk.audit_log (tenant_id, occurred_at, correlation_id, action, outcome)
                    VALUES (NULL, date_trunc('month', now()) + interval '8 months 3 days', 'ahead', 'auth.failed', 'denied')
                    RETURNING tableoid::regclass::text AS p
                    """)[0].decode(String.self, "p")
            }
            #expect(where8 == "orderdesk.audit_log_default")

            let created = try await AuditPartitions(database: fixture.database).ensureAhead(months: 8)
            let month8 = AuditPartitionFixture.partitionName(monthsFromNow: 8)
            #expect(created.last == month8)
            let after = try await fixture.asSuperuser { tx in
                let row = try tx.query(
                    """
                    SELECT (SELECT tableoid::regclass::text FROM orderdesk.audit_log WHERE correlation_id = 'ahead') AS p,
                           (SELECT count(*) FROM orderdesk.audit_log_default) AS n
                    """)[0]
                return (try row.decode(String.self, "p"), try row.decode(Int.self, "n"))
            }
            #expect(after.0 == "orderdesk.\(month8)")
            #expect(after.1 == 0)
        }
    }

    @Test func monthsAheadOutsideZeroToThirtySixIsRefused() async throws {
        try await AppFixture.run { fixture in
            for months in [-1, 37] {
                let error = await #expect(throws: PostgresError.self) {
                    try await AuditPartitions(database: fixture.database).ensureAhead(months: months)
                }
                #expect(error?.sqlState == "22023")
            }
        }
    }
}
