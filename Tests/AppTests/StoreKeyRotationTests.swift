import App
import Cryptography
import Foundation
import JSON
import OrderDesk
import Postgres
import TestSupport
import Testing

/// `keys rotate-encryption` (`StoreKeyRotation`) against a real scratch database: rows registered
/// through `StoreRegistry` against the simulator, or sealed with the cipher directly.
@Suite(.serialized) struct StoreKeyRotationTests {
    let v1 = SecureRandom.bytes(32)
    let v2 = SecureRandom.bytes(32)

    var oldKeyring: EncryptionKeyring { get throws { try EncryptionKeyring(keys: [1: v1], current: 1) } }
    var rotatingKeyring: EncryptionKeyring { get throws { try EncryptionKeyring(keys: [2: v2, 1: v1], current: 2) } }
    var newKeyring: EncryptionKeyring { get throws { try EncryptionKeyring(keys: [2: v2], current: 2) } }

    /// The `stores` columns rotation touches, as the superuser sees them (past row-level security).
    struct StoredRow: Hashable, Sendable {
        let id: UUID
        let tenantID: UUID
        let ciphertext: [UInt8]
        let tag: [UInt8]
        let nonce: [UInt8]
        let keyVersion: Int
        let updatedAt: Date
    }

    static func storedRows(_ fixture: AppFixture) async throws -> [UUID: StoredRow] {
        let rows = try await fixture.asSuperuser { tx in
            try tx.query(
                """
                SELECT id, tenant_id, api_key_ciphertext, api_key_tag, api_key_nonce, key_version, updated_at
                FROM orderdesk.stores ORDER BY id
                """
            ).map { row in
                StoredRow(
                    id: try row.decode(UUID.self, "id"), tenantID: try row.decode(UUID.self, "tenant_id"),
                    ciphertext: try row.decode([UInt8].self, "api_key_ciphertext"),
                    tag: try row.decode([UInt8].self, "api_key_tag"),
                    nonce: try row.decode([UInt8].self, "api_key_nonce"), keyVersion: try row.decode(Int.self, "key_version"),
                    updatedAt: try row.decode(Date.self, "updated_at"))
            }
        }
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
    }

    /// `(tenant_id, outcome, error_code, params)` of every rotation audit row.
    static func auditRows(_ fixture: AppFixture) async throws -> [(
        tenantID: UUID, outcome: String, errorCode: String?, params: JSONValue
    )] {
        try await fixture.asSuperuser { tx in
            try tx.query(
                """
                SELECT tenant_id, outcome, error_code, params FROM orderdesk.audit_log
                WHERE action = \(StoreKeyRotation.auditAction) ORDER BY id
                """
            ).map { row in
                (
                    try row.decode(UUID.self, "tenant_id"), try row.decode(String.self, "outcome"),
                    try row.decode(String?.self, "error_code"), try row.decode(JSONValue.self, "params")
                )
            }
        }
    }

    /// A store row sealed with `keyring`'s current version, as `StoreRegistry.register` writes it
    /// (without asking OrderDesk).
    static func insertStore(
        _ fixture: AppFixture, tenantID: UUID, storeID: String, apiKey: String, keyring: EncryptionKeyring
    ) async throws -> UUID {
        let rowID = UUID()
        let cipher = StoreCredentialCipher(keyring: keyring)
        try await fixture.database.withTenantTransaction(tenantID) { tx in
            let salt = try tx.query("SELECT hkdf_salt FROM orderdesk.tenants WHERE id = \(tenantID)")[0]
                .decode([UInt8].self, "hkdf_salt")
            let sealed = try cipher.seal(apiKey: apiKey, for: .init(tenantID: tenantID, tenantSalt: salt, storeRowID: rowID))
            try tx.execute(
                """
                INSERT INTO orderdesk.stores (id, tenant_id, store_id, name, api_key_ciphertext, api_key_tag, api_key_nonce, key_version)
                VALUES (\(rowID), \(tenantID), \(storeID), \("Store " + storeID), \(sealed.ciphertext), \(sealed.tag),
                    \(sealed.nonce), \(Int32(sealed.keyVersion)))
                """)
        }
        return rowID
    }

    /// The API key of a row, decrypted the way the server does (`StoreRegistry.credentials`).
    static func apiKey(
        _ fixture: AppFixture, tenantID: UUID, rowID: UUID, keyring: EncryptionKeyring, orderDesk: OrderDeskClient
    ) async throws -> String {
        try await StoreRegistry(database: fixture.database, keyring: keyring, orderDesk: orderDesk)
            .credentials(tenantID: tenantID, id: rowID).apiKey
    }

    static func client(baseURL: String) -> OrderDeskClient {
        OrderDeskClient(
            configuration: OrderDeskConfiguration(
                baseURL: baseURL, connectTimeout: .seconds(2), timeout: .seconds(10),
                retry: RetryPolicy(maxRetries: 1, baseDelay: .milliseconds(10), maxDelay: .milliseconds(20), jitter: 0),
                maxConnections: 2))
    }

    // MARK: Rotation

    @Test func rotatesEveryTenantsRowsToTheCurrentVersionAndASecondRunChangesNothing() async throws {
        try await AppFixture.run { fixture in
            let simulator = try await SimulatorProcess.launch(stores: [.standard, .second], orders: 1, rateLimited: false)
            defer { simulator.stop() }
            let client = Self.client(baseURL: simulator.baseURL.absoluteString)
            defer { Task { await client.shutdown() } }
            let registry = StoreRegistry(database: fixture.database, keyring: try oldKeyring, orderDesk: client)

            // Two tenants, three real registrations under v1.
            let a = try await fixture.createTenant("Tenant A")
            let b = try await fixture.createTenant("Tenant B")
            let standard = SimulatorProcess.Store.standard
            let second = SimulatorProcess.Store.second
            let a1 = try await registry.register(
                tenantID: a.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: "Main", label: nil)
            let a2 = try await registry.register(
                tenantID: a.tenantID, storeID: second.id, apiKey: second.apiKey, name: "Second", label: nil)
            let b1 = try await registry.register(
                tenantID: b.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: "Main", label: nil)
            let expected: [(tenant: UUID, row: UUID, apiKey: String)] = [
                (a.tenantID, a1.id, standard.apiKey), (a.tenantID, a2.id, second.apiKey), (b.tenantID, b1.id, standard.apiKey),
            ]
            let before = try await Self.storedRows(fixture)
            #expect(before.count == 3)
            #expect(before.values.allSatisfy { $0.keyVersion == 1 })

            // Batches of one: every row is its own transaction, the keyset walk must still reach all.
            let report = try await StoreKeyRotation(database: fixture.database, keyring: try rotatingKeyring, batchSize: 1).run()
            #expect(!report.dryRun)
            #expect(report.currentVersion == 2)
            #expect(report.tenants == 2)
            #expect(report.rowsRotated == 3)
            #expect(report.rowsAlreadyCurrent == 0)
            #expect(report.failures.isEmpty)
            #expect(report.rowsByKeyVersion == [2: 3])
            #expect(report.tenantsAudited == 2)

            let after = try await Self.storedRows(fixture)
            for (id, row) in after {
                let old = try #require(before[id])
                #expect(row.keyVersion == 2)
                #expect(row.ciphertext != old.ciphertext)
                #expect(row.nonce != old.nonce)
                #expect(row.tag != old.tag)
                #expect(row.tenantID == old.tenantID)
            }
            // The same API keys come back with a keyring that holds only v2; v1 alone no longer reads them.
            for row in expected {
                let key = try await Self.apiKey(
                    fixture, tenantID: row.tenant, rowID: row.row, keyring: try newKeyring, orderDesk: client)
                #expect(key == row.apiKey)
                let refused = await caught(ConfigurationError.self) {
                    try await Self.apiKey(
                        fixture, tenantID: row.tenant, rowID: row.row, keyring: try oldKeyring, orderDesk: client)
                }
                #expect(refused?.variable == "ENCRYPTION_KEYS")
            }
            // And a store registered after the rotation (by a v2 replica) is at v2 from the start.
            let registryV2 = StoreRegistry(database: fixture.database, keyring: try rotatingKeyring, orderDesk: client)
            let b2 = try await registryV2.register(
                tenantID: b.tenantID, storeID: second.id, apiKey: second.apiKey, name: "Second", label: nil)
            #expect(try await Self.storedRows(fixture)[b2.id]?.keyVersion == 2)

            // One audit row per tenant, counts only.
            let audits = try await Self.auditRows(fixture)
            #expect(audits.count == 2)
            let byTenant = Dictionary(uniqueKeysWithValues: audits.map { ($0.tenantID, $0) })
            #expect(byTenant[a.tenantID]?.params["rows_rotated"] == .int(2))
            #expect(byTenant[b.tenantID]?.params["rows_rotated"] == .int(1))
            for audit in audits {
                #expect(audit.outcome == "ok" && audit.errorCode == nil)
                #expect(audit.params["rows_failed"] == .int(0))
                #expect(audit.params["to_version"] == .int(2))
                #expect(audit.params["from_versions"] == [.int(1)])
                let text = String(decoding: audit.params.encoded(), as: UTF8.self)
                #expect(!text.contains(standard.apiKey) && !text.contains(second.apiKey))
            }

            // Second run: nothing to do, nothing written (not even audit rows).
            let settled = try await Self.storedRows(fixture)
            let again = try await StoreKeyRotation(database: fixture.database, keyring: try rotatingKeyring).run()
            #expect(again.rowsRotated == 0)
            #expect(again.rowsAlreadyCurrent == 4)
            #expect(again.failures.isEmpty)
            #expect(again.tenantsAudited == 0)
            #expect(try await Self.storedRows(fixture) == settled)
            #expect(try await Self.auditRows(fixture).count == 2)
        }
    }

    @Test func dryRunDecryptsAndCountsButWritesNothing() async throws {
        try await AppFixture.run { fixture in
            let a = try await fixture.createTenant()
            let b = try await fixture.createTenant()
            let empty = try await fixture.createTenant()
            _ = empty
            for (index, tenant) in [a, a, b].enumerated() {
                _ = try await Self.insertStore(
                    fixture, tenantID: tenant.tenantID, storeID: "\(100 + index)", apiKey: "key-\(index)", keyring: try oldKeyring
                )
            }
            let before = try await Self.storedRows(fixture)

            let report = try await StoreKeyRotation(database: fixture.database, keyring: try rotatingKeyring)
                .run(dryRun: true)
            #expect(report.dryRun)
            #expect(report.tenants == 3)
            #expect(report.rowsRotated == 3)  // would rotate
            #expect(report.rowsAlreadyCurrent == 0)
            #expect(report.failures.isEmpty)
            #expect(report.rowsByKeyVersion == [1: 3])
            #expect(report.tenantsAudited == 0)
            #expect(try await Self.storedRows(fixture) == before)
            #expect(try await Self.auditRows(fixture).isEmpty)

            // The verification before dropping v1: a dry run with only the new key. While v1 rows
            // remain, it names each of them; after the rotation it is clean.
            let premature = try await StoreKeyRotation(database: fixture.database, keyring: try newKeyring).run(dryRun: true)
            #expect(premature.failures.count == 3)
            #expect(premature.failures.allSatisfy { $0.reason == .missingKeyVersion && $0.keyVersion == 1 })
            #expect(Set(premature.failures.map(\.storeRowID)) == Set(before.keys))
            #expect(try await Self.storedRows(fixture) == before)

            _ = try await StoreKeyRotation(database: fixture.database, keyring: try rotatingKeyring).run()
            let verified = try await StoreKeyRotation(database: fixture.database, keyring: try newKeyring).run(dryRun: true)
            #expect(verified.failures.isEmpty)
            #expect(verified.rowsRotated == 0)
            #expect(verified.rowsAlreadyCurrent == 3)
            #expect(verified.rowsByKeyVersion == [2: 3])

            // A dry run checks rows already at the current version too (a real run leaves them alone).
            let damaged = try #require(before.keys.first)
            _ = try await fixture.asSuperuser { tx in
                try tx.execute(
                    "UPDATE orderdesk.stores SET api_key_tag = set_byte(api_key_tag, 15, get_byte(api_key_tag, 15) # 128) WHERE id = \(damaged)"
                )
            }
            let check = try await StoreKeyRotation(database: fixture.database, keyring: try newKeyring).run(dryRun: true)
            #expect(check.failures.map(\.storeRowID) == [damaged])
            #expect(check.failures.first?.reason == .decryptFailed)
            #expect(check.failures.first?.keyVersion == 2)
            let real = try await StoreKeyRotation(database: fixture.database, keyring: try newKeyring).run()
            #expect(real.failures.isEmpty && real.rowsRotated == 0)
        }
    }

    @Test func concurrentRotationsRotateEachRowOnce() async throws {
        try await AppFixture.run { fixture in
            var keys: [(tenant: UUID, row: UUID, apiKey: String)] = []
            for t in 0..<3 {
                let tenant = try await fixture.createTenant()
                for s in 0..<8 {
                    let apiKey = "api-key-\(t)-\(s)-" + UUID().uuidString
                    let row = try await Self.insertStore(
                        fixture, tenantID: tenant.tenantID, storeID: "\(t * 100 + s)", apiKey: apiKey, keyring: try oldKeyring)
                    keys.append((tenant.tenantID, row, apiKey))
                }
            }
            let other = fixture.secondReplica()
            let keyring = try rotatingKeyring
            async let first = StoreKeyRotation(database: fixture.database, keyring: keyring, batchSize: 3).run()
            async let second = StoreKeyRotation(database: other, keyring: keyring, batchSize: 2).run()
            let reports = try await [first, second]
            await other.shutdown()
            #expect(reports.map(\.rowsRotated).reduce(0, +) == keys.count)
            #expect(reports.allSatisfy { $0.failures.isEmpty })
            let client = Self.client(baseURL: "http://127.0.0.1:9/api/v2")
            for key in keys {
                #expect(
                    try await Self.apiKey(
                        fixture, tenantID: key.tenant, rowID: key.row, keyring: try newKeyring, orderDesk: client)
                        == key.apiKey)
            }
            await client.shutdown()
            #expect(try await Self.storedRows(fixture).values.allSatisfy { $0.keyVersion == 2 })
        }
    }

    // MARK: The command

    static func runCommand(
        _ arguments: [String], fixture: AppFixture, encryptionKeys: String?
    ) async throws -> BinaryProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        environment["ENCRYPTION_KEY"] = nil
        environment["ENCRYPTION_KEYS"] = encryptionKeys
        return try await BinaryProcess.run(
            "orderdesk-mcp", ["keys", "rotate-encryption"] + arguments + ["--database-url", fixture.scratch.appURL],
            environment: environment)
    }

    var rotatingEnvironment: String {
        "v2:\(Data(v2).base64EncodedString()),v1:\(Data(v1).base64EncodedString())"
    }

    @Test func tamperedRowIsReportedExitsOneAndTheOtherRowsAreRotated() async throws {
        try await AppFixture.run { fixture in
            let a = try await fixture.createTenant()
            let b = try await fixture.createTenant()
            let secrets = ["alpha-api-key-0123456789", "bravo-api-key-0123456789", "charlie-api-key-0123456789"]
            let a1 = try await Self.insertStore(
                fixture, tenantID: a.tenantID, storeID: "1", apiKey: secrets[0], keyring: try oldKeyring)
            let a2 = try await Self.insertStore(
                fixture, tenantID: a.tenantID, storeID: "2", apiKey: secrets[1], keyring: try oldKeyring)
            let b1 = try await Self.insertStore(
                fixture, tenantID: b.tenantID, storeID: "3", apiKey: secrets[2], keyring: try oldKeyring)
            // Flip one ciphertext byte of a2, behind the app's back.
            _ = try await fixture.asSuperuser { tx in
                try tx.execute(
                    """
                    UPDATE orderdesk.stores
                    SET api_key_ciphertext = set_byte(api_key_ciphertext, 0, get_byte(api_key_ciphertext, 0) # 1)
                    WHERE id = \(a2)
                    """)
            }
            let tampered = try #require(try await Self.storedRows(fixture)[a2])

            let outcome = try await Self.runCommand(
                ["--json", "--batch-size", "1"], fixture: fixture, encryptionKeys: rotatingEnvironment)
            #expect(outcome.exitCode == 1, "\(outcome.errorOutput)")
            let report = try JSONValue(parsing: Data(outcome.output.utf8))
            #expect(report["dry_run"] == false)
            #expect(report["current_version"] == .int(2))
            #expect(report["tenants"] == .int(2))
            #expect(report["rows_rotated"] == .int(2))
            #expect(report["rows_already_current"] == .int(0))
            #expect(report["failures"] == .int(1))
            #expect(report["rows_by_key_version"] == ["2": .int(2), "1": .int(1)])
            let failed = try #require(report["failed_rows"]?.arrayValue?.first)
            #expect(failed["tenant_id"]?.stringValue == a.tenantID.uuidString.lowercased())
            #expect(failed["store_row_id"]?.stringValue == a2.uuidString.lowercased())
            #expect(failed["store_id"] == "2")
            #expect(failed["key_version"] == .int(1))
            #expect(failed["reason"] == "decrypt_failed")
            #expect(
                outcome.errorOutput.contains(
                    "tenant \(a.tenantID.uuidString.lowercased()) store row \(a2.uuidString.lowercased())"))
            // Never key material: not the API keys, not the encryption keys.
            for text in [outcome.output, outcome.errorOutput] {
                for secret in secrets + [Data(v1).base64EncodedString(), Data(v2).base64EncodedString()] {
                    #expect(!text.contains(secret))
                }
            }

            // The other rows were rotated; the tampered one was left exactly as it was.
            let rows = try await Self.storedRows(fixture)
            #expect(rows[a1]?.keyVersion == 2)
            #expect(rows[b1]?.keyVersion == 2)
            #expect(rows[a2] == tampered)
            let client = Self.client(baseURL: "http://127.0.0.1:9/api/v2")
            #expect(
                try await Self.apiKey(fixture, tenantID: a.tenantID, rowID: a1, keyring: try newKeyring, orderDesk: client)
                    == secrets[0])
            #expect(
                try await Self.apiKey(fixture, tenantID: b.tenantID, rowID: b1, keyring: try newKeyring, orderDesk: client)
                    == secrets[2])
            await client.shutdown()

            // The tenant with the failure has an `error` audit row; the other an `ok` one.
            let audits = try await Self.auditRows(fixture)
            #expect(audits.count == 2)
            let auditA = try #require(audits.first { $0.tenantID == a.tenantID })
            #expect(auditA.outcome == "error")
            #expect(auditA.errorCode == "decrypt_failed")
            #expect(auditA.params["rows_rotated"] == .int(1))
            #expect(auditA.params["rows_failed"] == .int(1))
            #expect(audits.first { $0.tenantID == b.tenantID }?.outcome == "ok")

            // A text-mode dry run still names the row and exits 1; nothing more is rotated or audited.
            let dry = try await Self.runCommand(["--dry-run"], fixture: fixture, encryptionKeys: rotatingEnvironment)
            #expect(dry.exitCode == 1)
            #expect(dry.output.contains("rotate-encryption (dry run, nothing written): current key v2, keyring v2,v1"))
            #expect(dry.output.contains("tenants:              2"))
            #expect(dry.output.contains("rows to rotate:       0"))
            #expect(dry.output.contains("rows already current: 2"))
            #expect(dry.output.contains("failures:             1"))
            #expect(dry.output.contains("rows by key_version:  v2=2 v1=1"))
            #expect(dry.errorOutput.contains("store row \(a2.uuidString.lowercased())"))
            #expect(try await Self.auditRows(fixture).count == 2)
        }
    }

    @Test func commandSucceedsWhenEveryRowRotatesAndRefusesAMissingKeyring() async throws {
        try await AppFixture.run { fixture in
            let a = try await fixture.createTenant()
            let row = try await Self.insertStore(
                fixture, tenantID: a.tenantID, storeID: "7", apiKey: "the-api-key-7", keyring: try oldKeyring)

            let missing = try await Self.runCommand([], fixture: fixture, encryptionKeys: nil)
            #expect(missing.exitCode == 1)
            #expect(missing.errorOutput.contains("ENCRYPTION_KEY"))
            #expect(try await Self.storedRows(fixture)[row]?.keyVersion == 1)

            let badBatch = try await Self.runCommand(
                ["--batch-size", "0"], fixture: fixture, encryptionKeys: rotatingEnvironment)
            #expect(badBatch.exitCode != 0)
            #expect(badBatch.errorOutput.contains("--batch-size"))

            let run = try await Self.runCommand([], fixture: fixture, encryptionKeys: rotatingEnvironment)
            #expect(run.exitCode == 0, "\(run.errorOutput)")
            #expect(run.output.contains("rotate-encryption: current key v2, keyring v2,v1"))
            #expect(run.output.contains("rows rotated:         1"))
            #expect(run.output.contains("failures:             0"))
            #expect(run.output.contains("rows by key_version:  v2=1"))

            // Verification with the new key alone: clean, exit 0.
            let verify = try await Self.runCommand(
                ["--dry-run", "--json"], fixture: fixture, encryptionKeys: "v2:\(Data(v2).base64EncodedString())")
            #expect(verify.exitCode == 0, "\(verify.errorOutput)")
            let report = try JSONValue(parsing: Data(verify.output.utf8))
            #expect(report["rows_rotated"] == .int(0))
            #expect(report["failures"] == .int(0))
            #expect(report["rows_by_key_version"] == ["2": .int(1)])
        }
    }
}
