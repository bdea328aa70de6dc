import App
import ArgumentParser
import Foundation
import Migrations
import Postgres

/// `orderdesk-mcp migrate up|status`.
///
/// Exit codes a deploy script can rely on: 0 = the database is current (for `up`: after applying);
/// 1 = failure (connection, SQL error, edited or missing applied file); 3 = `status` found pending
/// migrations.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply or inspect database migrations.",
        subcommands: [Up.self, Status.self])

    struct Options: ParsableArguments {
        @Option(help: "Owner-role connection URL (default: $MIGRATE_DATABASE_URL).")
        var databaseURL: String?

        @Option(help: "Directory of NNNN_name.sql files (default: $MIGRATIONS_DIR or ./migrations).")
        var migrationsDir: String?

        func runner() throws -> (MigrationRunner, Database) {
            let environment = EnvironmentReader()
            guard let url = databaseURL ?? environment.text("MIGRATE_DATABASE_URL"), !url.isEmpty else {
                throw ValidationError("set MIGRATE_DATABASE_URL or pass --database-url (the migration role's URL)")
            }
            let directory = migrationsDir ?? environment.text("MIGRATIONS_DIR") ?? "migrations"
            let files = try MigrationFile.load(from: URL(fileURLWithPath: directory, isDirectory: true))
            // Migrations may legitimately run long: no statement timeout, one connection.
            let database = Database(
                configuration: DatabaseConfiguration(
                    url: url, poolSize: 1, statementTimeoutMilliseconds: 0,
                    applicationName: "orderdesk-mcp migrate"))
            return (MigrationRunner(database: database, files: files), database)
        }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply every pending migration, in order.")
        @OptionGroup var options: Options

        func run() async throws {
            try await reportingFailures {
                let (runner, database) = try options.runner()
                let applied = try await runner.up()
                for file in applied {
                    print("applied \(file.fileName)")
                }
                print(applied.isEmpty ? "database is up to date; nothing to apply" : "\(applied.count) migration(s) applied")
                // Each deploy also tops up the audit log's monthly partitions (the replicas do it hourly).
                for partition in try await AuditPartitions(database: database).ensureAheadIfInstalled() {
                    print("created audit partition \(partition)")
                }
                await database.shutdown()
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List applied and pending migrations (exit 3 when some are pending).")
        @OptionGroup var options: Options

        func run() async throws {
            var pending = false
            try await reportingFailures {
                let (runner, database) = try options.runner()
                let statuses = try await runner.status()
                await database.shutdown()
                let formatter = ISO8601DateFormatter()
                for status in statuses {
                    let when = status.appliedAt.map { formatter.string(from: $0) } ?? "-"
                    print(
                        "\(status.version)  \(status.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \(when)  \(status.name)"
                    )
                }
                let broken = statuses.filter { $0.state == .modified || $0.state == .missing }
                if let first = broken.first {
                    throw first.state == .modified
                        ? MigrationError.checksumMismatch(fileName: "\(first.version)_\(first.name).sql")
                        : MigrationError.missingFile(version: first.version, name: first.name)
                }
                pending = statuses.contains { $0.state == .pending }
                print(pending ? "pending migrations: run `orderdesk-mcp migrate up`" : "database is up to date")
            }
            if pending { throw ExitCode(3) }
        }
    }
}

/// Prints an operator-facing error and exits 1. Database messages are shown here (and only here)
/// because the operator needs them and migration SQL carries no tenant data.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ConfigurationError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    } catch let error as PostgresError {
        FileHandle.standardError.write(Data("error: \(error)\(error.serverMessage.map { ": \($0)" } ?? "")\n".utf8))
        throw ExitCode.failure
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
