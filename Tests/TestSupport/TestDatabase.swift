import Foundation
import Postgres

/// The project-local PostgreSQL cluster that `make test` starts (scripts/db.sh), and throwaway
/// databases on it. Each test that needs a schema gets its own freshly migrated database, so tests
/// never depend on each other's data.
public enum TestDatabase {
    /// Superuser URL of the cluster's maintenance database (`ODMCP_ADMIN_DATABASE_URL`).
    public static var adminURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["ODMCP_ADMIN_DATABASE_URL"], !url.isEmpty else {
                throw TestSetupError("ODMCP_ADMIN_DATABASE_URL is not set: run the tests with `make test`")
            }
            return url
        }
    }

    /// The repository's `migrations/` directory.
    public static var migrationsDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["ODMCP_MIGRATIONS_DIR"] {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        return repositoryRoot.appendingPathComponent("migrations", isDirectory: true)
    }

    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Creates an empty database; the caller drops it with `drop()`.
    public static func createEmpty() async throws -> ScratchDatabase {
        try await ScratchDatabaseFactory.shared.create(migrated: false)
    }

    /// Creates a database with every migration applied.
    public static func createMigrated() async throws -> ScratchDatabase {
        try await ScratchDatabaseFactory.shared.create(migrated: true)
    }

    /// Runs one statement as the cluster superuser on the maintenance database.
    static func admin(_ query: PostgresQuery) async throws {
        let database = Database(configuration: DatabaseConfiguration(url: try adminURL, poolSize: 1))
        defer { Task { await database.shutdown() } }
        try await database.withConnection { connection in _ = try connection.execute(query) }
        await database.shutdown()
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A throwaway database on the test cluster, with URLs for each role.
public struct ScratchDatabase: Sendable {
    public let name: String
    /// As the cluster superuser: what the migration runner uses in tests.
    public let ownerURL: String
    /// As `orderdesk_app`, the server's role (row-level security applies).
    public let appURL: String
    /// As `orderdesk_auditor`.
    public let auditorURL: String

    public func drop() async throws {
        try await TestDatabase.admin(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"))
    }

    /// Runs `body` in one transaction as the owner (superuser: row-level security does not apply),
    /// on a connection of its own, for fixtures that set up or inspect rows the app role cannot.
    public func asOwner<T: Sendable>(_ body: @escaping @Sendable (TenantTransaction) throws -> T) async throws -> T {
        let owner = Database(configuration: DatabaseConfiguration(url: ownerURL, poolSize: 1))
        do {
            let value = try await owner.withUnscopedTransaction(body)
            await owner.shutdown()
            return value
        } catch {
            await owner.shutdown()
            throw error
        }
    }

    /// A database handle as the app role.
    public func appDatabase(poolSize: Int = 4) -> Database {
        Database(configuration: DatabaseConfiguration(url: appURL, poolSize: poolSize))
    }
}

/// Creates scratch databases one at a time: roles are cluster-wide, so two first migrations
/// running at once on different databases would race to create them.
actor ScratchDatabaseFactory {
    static let shared = ScratchDatabaseFactory()

    func create(migrated: Bool) async throws -> ScratchDatabase {
        let admin = try TestDatabase.adminURL
        let name = "odtest_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await TestDatabase.admin(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""))
        func url(_ user: String) -> String {
            admin.replacingOccurrences(of: "postgresql:///postgres?", with: "postgresql:///\(name)?")
                .replacingOccurrences(of: "user=postgres", with: "user=\(user)")
        }
        let scratch = ScratchDatabase(
            name: name, ownerURL: url("postgres"), appURL: url("orderdesk_app"), auditorURL: url("orderdesk_auditor"))
        if migrated {
            try await MigrationTool.migrate(url: scratch.ownerURL)
        }
        return scratch
    }
}
