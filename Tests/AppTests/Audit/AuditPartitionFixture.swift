import Foundation
import Postgres
import TestSupport

/// Catalog and row checks shared by the audit partition tests, all run as the cluster superuser
/// (row-level security does not apply) unless they say otherwise.
enum AuditPartitionFixture {
    /// The names of `audit_log`'s partitions, DEFAULT included, sorted.
    static func partitions(_ scratch: ScratchDatabase) async throws -> [String] {
        try await scratch.asOwner { tx in
            try tx.query(
                """
                SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'orderdesk.audit_log'::regclass ORDER BY 1
                """
            ).map { try $0.decode(String.self, "name") }
        }
    }

    /// `audit_log_YYYY_MM` of the UTC month `offset` months from the current one.
    static func partitionName(monthsFromNow offset: Int, now: Date = Date()) -> String {
        let month = utc.date(byAdding: .month, value: offset, to: monthStart(of: now))!
        let parts = utc.dateComponents([.year, .month], from: month)
        return String(format: "audit_log_%04d_%02d", parts.year!, parts.month!)
    }

    static func monthStart(of date: Date) -> Date {
        utc.date(from: utc.dateComponents([.year, .month], from: date))!
    }

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// scripts/rls-lint.sql as `orderdesk_app`: one line per problem.
    static func lint(_ scratch: ScratchDatabase) async throws -> [String] {
        let lint = try String(
            contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("scripts/rls-lint.sql"), encoding: .utf8)
        let database = scratch.appDatabase(poolSize: 1)
        defer { Task { await database.shutdown() } }
        let problems = try await database.withUnscopedTransaction { tx in
            try tx.query(PostgresQuery(unsafeSQL: lint)).map {
                "\(try $0.decode(String.self, "lint")): \(try $0.decode(String.self, "detail"))"
            }
        }
        await database.shutdown()
        return problems
    }

    /// The SQLSTATE `sql` fails with as the app role (with `tenant` set), or nil when it succeeds.
    static func refusal(_ database: Database, tenant: UUID, _ sql: String) async -> String? {
        do {
            try await database.withTenantTransaction(tenant) { tx in _ = try tx.execute(PostgresQuery(unsafeSQL: sql)) }
            return nil
        } catch let error as PostgresError {
            return error.sqlState ?? "\(error)"
        } catch {
            return "\(error)"
        }
    }
}
