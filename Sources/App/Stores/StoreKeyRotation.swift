import Cryptography
import Foundation
import JSON
import Postgres

/// Re-encrypts every stored OrderDesk API key whose `key_version` is not the keyring's current
/// version (`orderdesk-mcp keys rotate-encryption`, DESIGN §5).
///
/// The app role sees a tenant's rows only inside that tenant's transaction, so the rotation lists
/// tenants through `orderdesk.list_tenants()` and then works tenant by tenant, in batches of
/// `batchSize` rows. Each batch is one tenant transaction that locks its rows (`FOR UPDATE`),
/// decrypts each with the key of the row's own version, seals it again under the current version
/// (new random nonce, AAD with the new version) and updates the four columns, guarded by
/// `key_version = <old>`. So:
///
/// - **resumable**: a crash loses at most the open batch, which rolls back; every row is always
///   readable by the version it records;
/// - **idempotent**: rows already at the current version are never selected;
/// - **safe beside a running server**: a concurrent rotation waits for the lock and then skips the
///   row (its version changed); `stores_delete` waits; registrations insert rows that are already
///   current (once every replica runs with the new keyring).
///
/// A row that does not decrypt is left as it is and reported (tenant id, store row id; never key
/// material); the other rows are still rotated. Each tenant that had rows to rotate gets one audit
/// row `cli.keys.rotate_encryption` with counts only. A dry run decrypts every row (whatever its
/// version) and counts, but writes nothing: run with only the new key, it is the check that the old
/// key may be dropped (see docs/operations.md).
public struct StoreKeyRotation: Sendable {
    /// A row that could not be re-encrypted. Names no secret.
    public struct Failure: Sendable, Hashable {
        public enum Reason: String, Sendable, Hashable {
            /// The tag did not verify: the ciphertext, tag or nonce was altered, or the row was
            /// encrypted under a different key than the keyring's key of that version.
            case decryptFailed = "decrypt_failed"
            /// The keyring has no key of the row's version.
            case missingKeyVersion = "missing_key_version"
            /// Decrypted, but sealing under the current version failed.
            case encryptFailed = "encrypt_failed"
        }

        public let tenantID: UUID
        /// `stores.id`, our row id.
        public let storeRowID: UUID
        /// OrderDesk's store id (not a secret), to help the operator find the registration.
        public let storeID: String
        public let keyVersion: Int
        public let reason: Reason

        /// One line for the operator: what failed and what to do.
        public var message: String {
            let row =
                "tenant \(tenantID.uuidString.lowercased()) store row \(storeRowID.uuidString.lowercased()) "
                + "(OrderDesk store \(storeID), key_version \(keyVersion))"
            switch reason {
            case .decryptFailed:
                return "\(row): does not decrypt with ENCRYPTION_KEYS v\(keyVersion) (the stored ciphertext was altered, "
                    + "or v\(keyVersion) is not the key it was encrypted with); left unchanged. Restore the right key, "
                    + "or delete the store and register it again"
            case .missingKeyVersion:
                return "\(row): ENCRYPTION_KEYS has no key v\(keyVersion); left unchanged. Add v\(keyVersion) back "
                    + "(after the current key) and run again"
            case .encryptFailed:
                return "\(row): could not be encrypted under the current key; left unchanged. Run again"
            }
        }
    }

    /// What a run did (or, for a dry run, would do).
    public struct Report: Sendable {
        public var dryRun: Bool
        public var currentVersion: Int
        /// Tenants looked at (every tenant, whatever its status).
        public var tenants = 0
        /// Rows re-encrypted under the current version (dry run: rows that would be, i.e. rows not at the
        /// current version that decrypt).
        public var rowsRotated = 0
        /// Rows that were at the current version before this run touched them.
        public var rowsAlreadyCurrent = 0
        public var failures: [Failure] = []
        /// Rows per `key_version` after the run (dry run: now), over every tenant.
        public var rowsByKeyVersion: [Int: Int] = [:]
        /// Tenants that got an audit row.
        public var tenantsAudited = 0

        init(dryRun: Bool, currentVersion: Int) {
            self.dryRun = dryRun
            self.currentVersion = currentVersion
        }

        /// As printed by `--json`.
        public var json: JSONValue {
            [
                "dry_run": .bool(dryRun), "current_version": .int(Int64(currentVersion)), "tenants": .int(Int64(tenants)),
                "rows_rotated": .int(Int64(rowsRotated)), "rows_already_current": .int(Int64(rowsAlreadyCurrent)),
                "failures": .int(Int64(failures.count)),
                "rows_by_key_version": .object(
                    Dictionary(uniqueKeysWithValues: rowsByKeyVersion.map { (String($0.key), JSONValue.int(Int64($0.value))) })),
                "failed_rows": .array(
                    failures.map { failure in
                        [
                            "tenant_id": .string(failure.tenantID.uuidString.lowercased()),
                            "store_row_id": .string(failure.storeRowID.uuidString.lowercased()),
                            "store_id": .string(failure.storeID), "key_version": .int(Int64(failure.keyVersion)),
                            "reason": .string(failure.reason.rawValue),
                        ]
                    }),
            ]
        }
    }

    /// The audit action of a tenant's rotation.
    public static let auditAction = "cli.keys.rotate_encryption"

    private let database: Database
    private let keyring: EncryptionKeyring
    private let batchSize: Int

    /// - Parameter batchSize: rows per transaction (each batch locks its rows until it commits), ≥ 1.
    public init(database: Database, keyring: EncryptionKeyring, batchSize: Int = 100) {
        self.database = database
        self.keyring = keyring
        self.batchSize = max(1, batchSize)
    }

    /// Rotates every tenant's rows (or, with `dryRun`, only checks that they decrypt and counts).
    ///
    /// - Parameter correlationID: shared by this run's audit rows.
    /// - Throws: database errors (the run stops; what committed stays committed, so run it again).
    ///   Rows that do not decrypt are not errors: they are in `Report.failures`.
    public func run(dryRun: Bool = false, correlationID: String = "rotate-" + UUID().uuidString.lowercased())
        async throws -> Report
    {
        let tenants = try await database.withUnscopedTransaction { tx in
            try tx.query("SELECT id FROM orderdesk.list_tenants() ORDER BY created_at, id").map { try $0.decode(UUID.self, "id") }
        }
        var report = Report(dryRun: dryRun, currentVersion: keyring.currentVersion)
        for tenantID in tenants {
            let outcome = try await rotate(tenantID: tenantID, dryRun: dryRun, correlationID: correlationID)
            report.tenants += 1
            report.rowsRotated += outcome.rotated
            report.failures += outcome.failures
            report.rowsAlreadyCurrent += max(0, (outcome.byVersion[keyring.currentVersion] ?? 0) - (dryRun ? 0 : outcome.rotated))
            for (version, count) in outcome.byVersion { report.rowsByKeyVersion[version, default: 0] += count }
            if outcome.audited { report.tenantsAudited += 1 }
        }
        return report
    }

    // MARK: One tenant

    private struct TenantOutcome: Sendable {
        var rotated = 0
        /// The versions rows were rotated away from.
        var rotatedFrom: Set<Int> = []
        var failures: [Failure] = []
        var byVersion: [Int: Int] = [:]
        var audited = false
    }

    private enum Batch: Sendable {
        /// Rows were handled; continue after `last`.
        case handled(last: UUID, rotated: Int, rotatedFrom: Set<Int>, failures: [Failure])
        /// Nothing left after the previous batch: the tenant's final counts.
        case done(byVersion: [Int: Int], audited: Bool)
    }

    private func rotate(tenantID: UUID, dryRun: Bool, correlationID: String) async throws -> TenantOutcome {
        var outcome = TenantOutcome()
        var after: UUID?
        while true {
            let batch = try await database.withTenantTransaction(tenantID) { [self, after, outcome] tx in
                try self.batch(
                    tenantID: tenantID, after: after, dryRun: dryRun, soFar: outcome, correlationID: correlationID, in: tx)
            }
            switch batch {
            case .handled(let last, let rotated, let rotatedFrom, let failures):
                outcome.rotated += rotated
                outcome.rotatedFrom.formUnion(rotatedFrom)
                outcome.failures += failures
                after = last
            case .done(let byVersion, let audited):
                outcome.byVersion = byVersion
                outcome.audited = audited
                return outcome
            }
        }
    }

    /// One transaction: the next `batchSize` rows (by id, after `after`) not at the current version
    /// (dry run: every row, so that rows already current are checked too). When there are none, the
    /// tenant's counts and, if anything was rotated or failed, its audit row.
    private func batch(
        tenantID: UUID, after: UUID?, dryRun: Bool, soFar: TenantOutcome, correlationID: String, in tx: TenantTransaction
    ) throws -> Batch {
        let current = keyring.currentVersion
        let rows = try tx.query(
            """
            SELECT s.id, s.store_id, s.api_key_ciphertext, s.api_key_tag, s.api_key_nonce, s.key_version, t.hkdf_salt
            FROM orderdesk.stores AS s
            JOIN orderdesk.tenants AS t ON t.id = s.tenant_id
            WHERE (\(dryRun) OR s.key_version <> \(Int32(current)))
              AND (\(after)::uuid IS NULL OR s.id > \(after)::uuid)
            ORDER BY s.id
            LIMIT \(batchSize)
            \(unsafeSQL: dryRun ? "" : "FOR UPDATE OF s")
            """)
        guard let last = rows.last else {
            let byVersion = try Dictionary(
                uniqueKeysWithValues: tx.query("SELECT key_version, count(*) AS n FROM orderdesk.stores GROUP BY key_version")
                    .map { (try $0.decode(Int.self, "key_version"), try $0.decode(Int.self, "n")) })
            let audit = !dryRun && (soFar.rotated > 0 || !soFar.failures.isEmpty)
            if audit {
                let fromVersions = Set(soFar.failures.map(\.keyVersion)).union(soFar.rotatedFrom).sorted()
                var record = AuditRecord(
                    tenantID: tenantID, correlationID: correlationID, actor: "cli", action: Self.auditAction,
                    params: [
                        "rows_rotated": .int(Int64(soFar.rotated)), "rows_failed": .int(Int64(soFar.failures.count)),
                        "to_version": .int(Int64(current)), "from_versions": .array(fromVersions.map { .int(Int64($0)) }),
                    ], outcome: soFar.failures.isEmpty ? "ok" : "error")
                // The failures' reason (`decrypt_failed`, `missing_key_version`, …); `rotation_failed` when mixed.
                let reasons = Set(soFar.failures.map(\.reason.rawValue))
                record.errorCode = reasons.isEmpty ? nil : reasons.count == 1 ? reasons.first : "rotation_failed"
                try record.insert(in: tx)
            }
            return .done(byVersion: byVersion, audited: audit)
        }
        let cipher = StoreCredentialCipher(keyring: keyring)
        var rotated = 0
        var rotatedFrom: Set<Int> = []
        var failures: [Failure] = []
        for row in rows {
            let rowID = try row.decode(UUID.self, "id")
            let oldVersion = try row.decode(Int.self, "key_version")
            let binding = StoreCredentialCipher.Binding(
                tenantID: tenantID, tenantSalt: try row.decode([UInt8].self, "hkdf_salt"), storeRowID: rowID)
            let sealed = StoreCredentialCipher.Sealed(
                ciphertext: try row.decode([UInt8].self, "api_key_ciphertext"), tag: try row.decode([UInt8].self, "api_key_tag"),
                nonce: try row.decode([UInt8].self, "api_key_nonce"), keyVersion: oldVersion)
            func failure(_ reason: Failure.Reason) -> Failure {
                Failure(
                    tenantID: tenantID, storeRowID: rowID, storeID: (try? row.decode(String.self, "store_id")) ?? "?",
                    keyVersion: oldVersion, reason: reason)
            }
            let apiKey: String
            do {
                apiKey = try cipher.open(sealed, for: binding)
            } catch is ConfigurationError {
                failures.append(failure(.missingKeyVersion))
                continue
            } catch {
                failures.append(failure(.decryptFailed))
                continue
            }
            // A dry run reads every row: current ones are only checked.
            if oldVersion == current { continue }
            let resealed: StoreCredentialCipher.Sealed
            do {
                resealed = try cipher.seal(apiKey: apiKey, for: binding)
            } catch {
                failures.append(failure(.encryptFailed))
                continue
            }
            if !dryRun {
                let updated = try tx.execute(
                    """
                    UPDATE orderdesk.stores
                    SET api_key_ciphertext = \(resealed.ciphertext), api_key_tag = \(resealed.tag),
                        api_key_nonce = \(resealed.nonce), key_version = \(Int32(resealed.keyVersion))
                    WHERE id = \(rowID) AND key_version = \(Int32(oldVersion))
                    """)
                // 0: deleted or rotated by someone else after our read (cannot happen under FOR UPDATE,
                // but an update must never be counted that did not happen).
                guard updated == 1 else { continue }
            }
            rotated += 1
            rotatedFrom.insert(oldVersion)
        }
        return .handled(
            last: try last.decode(UUID.self, "id"), rotated: rotated, rotatedFrom: rotatedFrom, failures: failures)
    }
}
