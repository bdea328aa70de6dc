import Foundation
import Postgres

/// Applies `migrations/NNNN_name.sql` files in order, one transaction per file, recording each in
/// `public.schema_migrations` with its SHA-256.
///
/// Every transaction first takes `pg_advisory_xact_lock`, then re-reads the ledger, so two runners
/// started together queue instead of failing, and neither applies a file twice.
public struct MigrationRunner: Sendable {
    /// Arbitrary, fixed: every runner of every version must use the same key.
    static let advisoryLockKey: Int64 = 0x6f64_6d63_706d_6967

    private let database: Database
    private let files: [MigrationFile]

    public init(database: Database, files: [MigrationFile]) {
        self.database = database
        self.files = files
    }

    /// Applies every pending migration and returns the ones applied now (empty: nothing to do).
    public func up() async throws -> [MigrationFile] {
        var applied: [MigrationFile] = []
        while let file = try await applyNextPending() {
            applied.append(file)
        }
        return applied
    }

    /// Every migration, applied or not, plus ledger rows whose files are gone.
    public func status() async throws -> [MigrationStatus] {
        let ledger = try await database.withConnection { connection in
            try connection.execute("BEGIN")
            defer { _ = try? connection.execute("ROLLBACK") }
            return try Self.readLedger(connection, create: false)
        }
        var result = files.map { file -> MigrationStatus in
            guard let entry = ledger[file.version] else {
                return MigrationStatus(version: file.version, name: file.name, state: .pending, appliedAt: nil)
            }
            let state: MigrationStatus.State = entry.checksum == file.checksum ? .applied : .modified
            return MigrationStatus(version: file.version, name: file.name, state: state, appliedAt: entry.appliedAt)
        }
        let known = Set(files.map(\.version))
        for (version, entry) in ledger where !known.contains(version) {
            result.append(MigrationStatus(version: version, name: entry.name, state: .missing, appliedAt: entry.appliedAt))
        }
        return result.sorted { $0.version < $1.version }
    }

    /// One transaction: lock, verify the ledger, apply the first pending file. Nil when none is left.
    private func applyNextPending() async throws -> MigrationFile? {
        let files = self.files
        return try await database.withConnection { connection in
            try connection.execute("BEGIN")
            do {
                try connection.execute("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))")
                let ledger = try Self.readLedger(connection, create: true)
                try Self.verify(ledger: ledger, against: files)
                guard let next = files.first(where: { ledger[$0.version] == nil }) else {
                    try connection.execute("COMMIT")
                    return nil
                }
                do {
                    try connection.executeScript(unsafeSQL: next.sql)
                } catch let error as PostgresError {
                    throw MigrationError.failed(
                        fileName: next.fileName, sqlState: error.sqlState, message: error.serverMessage ?? "\(error)")
                }
                // The file may have switched to the owner role; the ledger belongs to the migrator.
                try connection.execute("RESET ROLE")
                try connection.execute(
                    """
                    INSERT INTO public.schema_migrations (version, name, checksum)
                    VALUES (\(next.version), \(next.name), \(next.checksum))
                    """)
                try connection.execute("COMMIT")
                return next
            } catch {
                if connection.isUsable { _ = try? connection.execute("ROLLBACK") }
                throw error
            }
        }
    }

    private struct LedgerEntry {
        let name: String
        let checksum: String
        let appliedAt: Date
    }

    private static func readLedger(_ connection: PostgresConnection, create: Bool) throws -> [String: LedgerEntry] {
        if create {
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS public.schema_migrations (
                    version    text PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """)
        } else {
            let exists = try connection.execute("SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present")
            guard try exists.rows.first?.decode(Bool.self, "present") == true else { return [:] }
        }
        let rows = try connection.execute("SELECT version, name, checksum, applied_at FROM public.schema_migrations").rows
        var ledger: [String: LedgerEntry] = [:]
        for row in rows {
            ledger[try row.decode(String.self, "version")] = LedgerEntry(
                name: try row.decode(String.self, "name"), checksum: try row.decode(String.self, "checksum"),
                appliedAt: try row.decode(Date.self, "applied_at"))
        }
        return ledger
    }

    private static func verify(ledger: [String: LedgerEntry], against files: [MigrationFile]) throws {
        let byVersion = Dictionary(uniqueKeysWithValues: files.map { ($0.version, $0) })
        for (version, entry) in ledger.sorted(by: { $0.key < $1.key }) {
            guard let file = byVersion[version] else {
                throw MigrationError.missingFile(version: version, name: entry.name)
            }
            if file.checksum != entry.checksum {
                throw MigrationError.checksumMismatch(fileName: file.fileName)
            }
        }
    }
}
