import Cryptography
import Foundation
import Migrations
import Postgres
import TestSupport
import Testing

/// The migration runner, driven through the real `orderdesk-mcp migrate` binary.
@Suite(.serialized) struct MigrationRunnerTests {
    static var files: [MigrationFile] {
        get throws { try MigrationFile.load(from: TestDatabase.migrationsDirectory) }
    }

    func withEmptyDatabase(_ body: (ScratchDatabase) async throws -> Void) async throws {
        let scratch = try await TestDatabase.createEmpty()
        do {
            try await body(scratch)
        } catch {
            try? await scratch.drop()
            throw error
        }
        try await scratch.drop()
    }

    func ledger(_ scratch: ScratchDatabase) async throws -> [String: String] {
        let database = Database(configuration: DatabaseConfiguration(url: scratch.ownerURL, poolSize: 1))
        let rows = try await database.withUnscopedTransaction { tx in
            try tx.query("SELECT version, checksum FROM public.schema_migrations").map {
                (try $0.decode(String.self, "version"), try $0.decode(String.self, "checksum"))
            }
        }
        await database.shutdown()
        return Dictionary(uniqueKeysWithValues: rows)
    }

    /// A private copy of migrations/ that a test may edit.
    func copyOfMigrations() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: TestDatabase.migrationsDirectory, to: directory)
        return directory
    }

    @Test func freshDatabaseGetsEveryMigrationAndASecondRunIsANoOp() async throws {
        try await withEmptyDatabase { scratch in
            let files = try Self.files
            #expect(files.count >= 8)
            let before = try await MigrationTool.run(["status"], url: scratch.ownerURL)
            #expect(before.exitCode == 3)
            #expect(before.output.components(separatedBy: "  pending ").count - 1 == files.count)

            let first = try await MigrationTool.run(["up"], url: scratch.ownerURL)
            #expect(first.exitCode == 0, "\(first.errorOutput)")
            #expect(first.output.components(separatedBy: "\n").filter { $0.hasPrefix("applied ") }.count == files.count)
            #expect(first.errorOutput.isEmpty)

            let second = try await MigrationTool.run(["up"], url: scratch.ownerURL)
            #expect(second.exitCode == 0)
            #expect(second.output.contains("nothing to apply"))

            let status = try await MigrationTool.run(["status"], url: scratch.ownerURL)
            #expect(status.exitCode == 0)
            for file in files {
                #expect(status.output.contains("\(file.version)  applied "), "\(file.fileName)")
            }
            let ledger = try await ledger(scratch)
            #expect(ledger == Dictionary(uniqueKeysWithValues: files.map { ($0.version, $0.checksum) }))
            // The ledger's checksum is the SHA-256 of the file's bytes.
            let firstFile = TestDatabase.migrationsDirectory.appendingPathComponent(files[0].fileName)
            #expect(ledger[files[0].version] == SHA256.hexDigest(Array(try Data(contentsOf: firstFile))))
        }
    }

    @Test func editingAnAppliedFileIsAnErrorThatNamesIt() async throws {
        try await withEmptyDatabase { scratch in
            let directory = try copyOfMigrations()
            defer { try? FileManager.default.removeItem(at: directory) }
            let applied = try await MigrationTool.run(["up", "--migrations-dir", directory.path], url: scratch.ownerURL)
            #expect(applied.exitCode == 0)
            let victim = try Self.files[2].fileName
            let handle = try FileHandle(forWritingTo: directory.appendingPathComponent(victim))
            handle.seekToEndOfFile()
            handle.write(Data("\n-- an innocent-looking edit\n".utf8))
            try handle.close()

            let up = try await MigrationTool.run(["up", "--migrations-dir", directory.path], url: scratch.ownerURL)
            #expect(up.exitCode == 1)
            #expect(up.errorOutput.contains(victim))
            #expect(up.errorOutput.contains("edited"))
            let status = try await MigrationTool.run(["status", "--migrations-dir", directory.path], url: scratch.ownerURL)
            #expect(status.exitCode == 1)
            #expect(status.output.contains("modified"))
        }
    }

    @Test func failingMigrationIsRolledBackAndNamed() async throws {
        try await withEmptyDatabase { scratch in
            let directory = try copyOfMigrations()
            defer { try? FileManager.default.removeItem(at: directory) }
            try Data("SET LOCAL ROLE orderdesk_owner;\nCREATE TABLE orderdesk.half_done (id int);\nSELECT 1/0;\n".utf8)
                .write(to: directory.appendingPathComponent("9999_broken.sql"))
            let up = try await MigrationTool.run(["up", "--migrations-dir", directory.path], url: scratch.ownerURL)
            #expect(up.exitCode == 1)
            #expect(up.errorOutput.contains("9999_broken.sql"))
            #expect(up.errorOutput.contains("22012"))
            let ledger = try await ledger(scratch)
            #expect(ledger["9999"] == nil)
            #expect(ledger.count == (try Self.files.count))
            let database = Database(configuration: DatabaseConfiguration(url: scratch.ownerURL, poolSize: 1))
            let exists = try await database.withUnscopedTransaction { tx in
                try tx.query("SELECT to_regclass('orderdesk.half_done') IS NOT NULL AS present")[0].decode(Bool.self, "present")
            }
            await database.shutdown()
            #expect(!exists)
        }
    }

    @Test func twoConcurrentRunnersBothSucceedAndApplyEachFileOnce() async throws {
        try await withEmptyDatabase { scratch in
            async let first = MigrationTool.run(["up"], url: scratch.ownerURL)
            async let second = MigrationTool.run(["up"], url: scratch.ownerURL)
            let outcomes = try await [first, second]
            #expect(outcomes.map(\.exitCode) == [0, 0], "\(outcomes.map(\.errorOutput))")
            let appliedLines = outcomes.flatMap { $0.output.components(separatedBy: "\n") }.filter { $0.hasPrefix("applied ") }
            #expect(appliedLines.count == (try Self.files.count))
            #expect(Set(appliedLines).count == appliedLines.count)
            #expect((try await ledger(scratch)).count == (try Self.files.count))
        }
    }

    @Test func missingDatabaseURLIsAClearUsageError() async throws {
        let outcome = try await MigrationTool.run(["up"], url: "")
        #expect(outcome.exitCode != 0)
        #expect(outcome.errorOutput.contains("MIGRATE_DATABASE_URL"))
    }

    @Test func unreachableDatabaseExitsOne() async throws {
        let outcome = try await MigrationTool.run(["up"], url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
        #expect(outcome.exitCode == 1)
        #expect(outcome.errorOutput.contains("connection failed"))
    }

    @Test func migrationFileNamesAreValidated() throws {
        #expect(throws: MigrationError.badFileName("1_x.sql")) { try MigrationFile(fileName: "1_x.sql", contents: Data()) }
        #expect(throws: MigrationError.badFileName("0001_Bad-Name.sql")) {
            try MigrationFile(fileName: "0001_Bad-Name.sql", contents: Data())
        }
        let file = try MigrationFile(fileName: "0042_add_things.sql", contents: Data("SELECT 1;".utf8))
        #expect(file.version == "0042")
        #expect(file.name == "add_things")
        #expect(file.checksum == SHA256.hexDigest("SELECT 1;"))
    }
}
