import App
import ArgumentParser
import Foundation
import Postgres

/// `orderdesk-mcp audit prune --older-than 400d [--dry-run]`: audit-log retention, run as the
/// migration login (`MIGRATE_DATABASE_URL`), because only the owner may drop audit history.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Audit-log retention.", subcommands: [Prune.self])

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop the monthly audit_log partitions that ended before now minus --older-than.",
            discussion: """
                Only whole UTC months go, oldest first; the month containing the cutoff, newer ones and \
                the DEFAULT partition stay. A run (not a dry run) writes one `cli.audit.prune` audit row.
                """)
        @Option(help: "Owner-role connection URL (default: $MIGRATE_DATABASE_URL).")
        var databaseURL: String?
        @Option(help: "Age in days, like 400d (at least \(AuditRetention.minimumDays)d).")
        var olderThan: String
        @Flag(help: "Only print what would be dropped; change nothing.")
        var dryRun = false

        /// `400d` → 400.
        var days: Int? {
            guard olderThan.hasSuffix("d"), let days = Int(olderThan.dropLast()), days >= 0 else { return nil }
            return days
        }

        func validate() throws {
            guard let days else { throw ValidationError("--older-than must be a number of days like 400d") }
            guard days >= AuditRetention.minimumDays else {
                throw ValidationError(
                    "--older-than must be at least \(AuditRetention.minimumDays)d: younger audit months are never pruned")
            }
        }

        func run() async throws {
            try await reportingFailures {
                guard let url = databaseURL ?? EnvironmentReader().text("MIGRATE_DATABASE_URL"), !url.isEmpty else {
                    throw ValidationError("set MIGRATE_DATABASE_URL or pass --database-url (the migration role's URL)")
                }
                let database = Database(
                    configuration: DatabaseConfiguration(
                        url: url, poolSize: 1, statementTimeoutMilliseconds: 0, applicationName: "orderdesk-mcp audit"))
                let outcome: AuditRetention.Outcome
                do {
                    outcome = try await AuditRetention(database: database).prune(olderThanDays: days ?? 0, dryRun: dryRun)
                    await database.shutdown()
                } catch {
                    await database.shutdown()
                    throw error
                }
                let formatter = ISO8601DateFormatter()
                print("cutoff \(formatter.string(from: outcome.cutoff)) (older than \(olderThan))")
                for partition in outcome.partitions {
                    print(
                        "\(dryRun ? "would drop" : "dropped") \(partition.name)  "
                            + "\(formatter.string(from: partition.start)) .. \(formatter.string(from: partition.end))")
                }
                let count = outcome.partitions.count
                print(
                    dryRun
                        ? "\(count) partition(s) would be dropped (dry run: nothing changed)"
                        : "\(count) partition(s) dropped")
            }
        }
    }
}
