import App
import ArgumentParser
import Foundation
import JSON
import Postgres

/// `orderdesk-mcp keys rotate-encryption`: re-encrypts every stored OrderDesk API key under the
/// current `ENCRYPTION_KEYS` version, tenant by tenant, as the app role (`DATABASE_URL`).
/// The procedure around it is in docs/operations.md ("Rotating ENCRYPTION_KEY").
struct RotateEncryptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-encryption",
        abstract: "Re-encrypt every store API key under the current ENCRYPTION_KEYS version (the first listed).",
        discussion: """
            Set ENCRYPTION_KEYS=v<new>:<base64>,v<old>:<base64> (the first is current) and DATABASE_URL. \
            Safe to run while the server runs, to interrupt, and to repeat. Exits 1 if any row could not be \
            decrypted (named by tenant id and store row id); such rows are left as they were.

            --dry-run writes nothing: it decrypts every row, whatever its version, and counts rows per \
            key_version. Run it with only the new key in ENCRYPTION_KEYS before dropping the old one: \
            exit 0 means every credential is readable without the old key.
            """)

    @OptionGroup var options: TenantsCommand.Options
    @Option(help: "Rows re-encrypted per transaction (each batch locks its rows until it commits).")
    var batchSize = 100
    @Flag(help: "Decrypt every row and count; write nothing.") var dryRun = false
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000") }
    }

    func run() async throws {
        var failed = false
        try await reportingFailures {
            let keyring = try EncryptionKeyring(reader: EnvironmentReader())
            if let newest = keyring.versions.first, newest != keyring.currentVersion {
                Self.warn(
                    "warning: the current key (the first in ENCRYPTION_KEYS) is v\(keyring.currentVersion), but v\(newest) "
                        + "is newer; rows are re-encrypted under v\(keyring.currentVersion)")
            }
            let database = try options.database()
            let report: StoreKeyRotation.Report
            do {
                report = try await StoreKeyRotation(database: database, keyring: keyring, batchSize: batchSize)
                    .run(dryRun: dryRun)
                await database.shutdown()
            } catch {
                await database.shutdown()
                throw error
            }
            if json {
                print(report.json.encodedString())
            } else {
                Self.printText(report, keyring: keyring)
            }
            for failure in report.failures { Self.warn("error: \(failure.message)") }
            if !report.failures.isEmpty {
                Self.warn(
                    "error: \(report.failures.count) row(s) could not be re-encrypted; every other row was"
                        + (report.dryRun ? " checked" : " rotated")
                        + ". Keep their key version in ENCRYPTION_KEYS until they are fixed.")
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }

    static func printText(_ report: StoreKeyRotation.Report, keyring: EncryptionKeyring) {
        let versions = keyring.versions.map { "v\($0)" }.joined(separator: ",")
        print(
            report.dryRun
                ? "rotate-encryption (dry run, nothing written): current key v\(report.currentVersion), keyring \(versions)"
                : "rotate-encryption: current key v\(report.currentVersion), keyring \(versions)")
        print("tenants:              \(report.tenants)")
        print((report.dryRun ? "rows to rotate:       " : "rows rotated:         ") + "\(report.rowsRotated)")
        print("rows already current: \(report.rowsAlreadyCurrent)")
        print("failures:             \(report.failures.count)")
        let byVersion = report.rowsByKeyVersion.sorted { $0.key > $1.key }.map { "v\($0.key)=\($0.value)" }
        print("rows by key_version:  \(byVersion.isEmpty ? "(no stores)" : byVersion.joined(separator: " "))")
    }

    static func warn(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
