import Foundation
import JSON
import Postgres

/// Retention of the audit log: drops whole monthly partitions of `orderdesk.audit_log` that ended
/// before a cutoff (`orderdesk.prune_audit_partitions`, migration 0019). Runs as the owner (the
/// migration login's connection, `SET LOCAL ROLE orderdesk_owner`): the app role can never shorten
/// the log. A real run records one tenantless `cli.audit.prune` row in the same transaction.
public struct AuditRetention: Sendable {
    /// Nothing younger than this is ever pruned (the SQL function refuses it too): a typo such as
    /// `--older-than 4d` must not erase last month.
    public static let minimumDays = 31
    public static let auditAction = "cli.audit.prune"

    /// One monthly partition, `[start, end)` in UTC.
    public struct Partition: Sendable, Equatable {
        public let name: String
        public let start: Date
        public let end: Date
    }

    /// What a run dropped (or, in a dry run, would drop).
    public struct Outcome: Sendable {
        /// `now() - days` on the database's clock: partitions ending at or before it go.
        public let cutoff: Date
        public let partitions: [Partition]
    }

    /// Refused: `days` is below `minimumDays`.
    public struct TooRecent: Error, CustomStringConvertible {
        public let days: Int
        public var description: String {
            "refusing to prune audit partitions younger than \(AuditRetention.minimumDays) days (asked for \(days))"
        }
    }

    let database: Database

    /// `database`: a connection as the migration login (`MIGRATE_DATABASE_URL`).
    public init(database: Database) {
        self.database = database
    }

    /// Drops (or with `dryRun` only lists) every monthly partition that ends at or before now minus
    /// `days`, oldest first. DEFAULT is never dropped.
    public func prune(olderThanDays days: Int, dryRun: Bool) async throws -> Outcome {
        guard days >= Self.minimumDays else { throw TooRecent(days: days) }
        let parameter = Int32(clamping: days)
        return try await database.withUnscopedTransaction { tx in
            try tx.execute("SET LOCAL ROLE orderdesk_owner")
            let cutoff = try tx.query("SELECT now() - make_interval(days => \(parameter)) AS cutoff")[0]
                .decode(Date.self, "cutoff")
            let partitions = try tx.query(
                """
                SELECT partition_name, range_start, range_end
                FROM orderdesk.prune_audit_partitions(\(parameter), \(dryRun))
                """
            ).map {
                Partition(
                    name: try $0.decode(String.self, "partition_name"), start: try $0.decode(Date.self, "range_start"),
                    end: try $0.decode(Date.self, "range_end"))
            }
            if !dryRun {
                let params: JSONValue = [
                    "older_than_days": .int(Int64(days)), "cutoff": .string(ISO8601DateFormatter().string(from: cutoff)),
                    "partitions": .array(partitions.map { .string($0.name) }),
                ]
                try AuditRecord(tenantID: nil, actor: "cli", action: Self.auditAction, params: params, outcome: "ok")
                    .insert(in: tx)
            }
            return Outcome(cutoff: cutoff, partitions: partitions)
        }
    }
}
