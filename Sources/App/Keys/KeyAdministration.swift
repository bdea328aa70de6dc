import Cryptography
import Foundation
import JSON
import Postgres

/// What the operator CLI does with master keys and tenant status. A created key is returned once
/// and never stored (only its HMAC fingerprint and argon2id hash are). Every change writes its
/// audit row (actor `cli`) in the same transaction, so there is no change without its record.
public final class KeyAdministration: Sendable {
    private let database: Database
    private let pepper: [UInt8]
    private let hasher: KeyHasher

    public init(database: Database, pepper: [UInt8], hasher: KeyHasher) {
        self.database = database
        self.pepper = pepper
        self.hasher = hasher
    }

    public struct CreatedKey: Sendable {
        public let keyID: UUID
        /// The key itself: show it once, then forget it.
        public let masterKey: String
        public let prefix: String
        public let scopes: Set<KeyScope>
    }

    public struct KeySummary: Sendable, Hashable {
        public let keyID: UUID
        public let prefix: String
        public let label: String?
        public let scopes: Set<KeyScope>
        public let createdAt: Date
        public let lastUsedAt: Date?
        public let revokedAt: Date?
        public let revokedReason: String?
    }

    /// Creates a master key for an active tenant. `write` implies `read`: a write key is stored with
    /// both scopes.
    /// - Throws: `AdministrationError` (`tenantNotFound`, `validation` for no scope, a long label or
    ///   a disabled tenant).
    public func createKey(tenantID: UUID, scopes: Set<KeyScope>, label: String?) async throws -> CreatedKey {
        guard !scopes.isEmpty else { throw AdministrationError(.validation, "a key needs at least one scope (read or write)") }
        let scopes = scopes.contains(.write) ? Set(KeyScope.allCases) : scopes
        let label = label?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        if let label, label.unicodeScalars.count > 200 {
            throw AdministrationError(.validation, "the label must be at most 200 characters")
        }
        let issued = try await IssuedMasterKey.generate(pepper: pepper, hasher: hasher)
        let prefix = issued.prefix
        let scopeNames = KeyScope.sortedNames(scopes)
        let keyID = try await database.withTenantTransaction(tenantID) { tx in
            guard let status = try Self.tenantStatus(tenantID, in: tx) else { throw AdministrationError.tenantNotFound(tenantID) }
            guard status == "active" else {
                throw AdministrationError(
                    .validation, "tenant \(tenantID.uuidString.lowercased()) is disabled; its keys would be refused")
            }
            let keyID = try issued.insert(tenantID: tenantID, scopeNames: scopeNames, label: label, in: tx)
            try Self.audit(
                tenantID, "cli.keys.create",
                [
                    "key_id": .string(keyID.uuidString.lowercased()), "key_prefix": .string(prefix),
                    "scopes": .array(scopeNames.map(JSONValue.string)), "label": label.map(JSONValue.string) ?? .null,
                ], in: tx)
            return keyID
        }
        return CreatedKey(keyID: keyID, masterKey: issued.key, prefix: prefix, scopes: scopes)
    }

    /// The tenant's keys, oldest first, revoked ones included.
    public func listKeys(tenantID: UUID) async throws -> [KeySummary] {
        try await database.withTenantTransaction(tenantID) { tx in
            guard try Self.tenantStatus(tenantID, in: tx) != nil else { throw AdministrationError.tenantNotFound(tenantID) }
            return try tx.query(
                """
                SELECT id, prefix, label, scopes, created_at, last_used_at, revoked_at, revoked_reason
                FROM orderdesk.master_key_metadata
                ORDER BY created_at, id
                """
            ).map { row in
                KeySummary(
                    keyID: try row.decode(UUID.self, "id"), prefix: try row.decode(String.self, "prefix"),
                    label: try row.decode(String?.self, "label"),
                    scopes: KeyScope.parse(try row.decode(PostgresTextArray.self, "scopes").elements),
                    createdAt: try row.decode(Date.self, "created_at"), lastUsedAt: try row.decode(Date?.self, "last_used_at"),
                    revokedAt: try row.decode(Date?.self, "revoked_at"),
                    revokedReason: try row.decode(String?.self, "revoked_reason"))
            }
        }
    }

    /// Revokes a key for good. Replicas stop accepting it within their authentication cache TTL.
    /// - Returns: true when this call revoked it, false when it was already revoked.
    /// - Throws: `AdministrationError` (`tenantNotFound`, `keyNotFound`).
    public func revokeKey(tenantID: UUID, keyID: UUID, reason: String?) async throws -> Bool {
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty.map { String($0.prefix(500)) }
        return try await database.withTenantTransaction(tenantID) { tx in
            guard try Self.tenantStatus(tenantID, in: tx) != nil else { throw AdministrationError.tenantNotFound(tenantID) }
            let revoked = try tx.query(
                """
                UPDATE orderdesk.master_key_metadata SET revoked_at = now(), revoked_reason = \(reason)
                WHERE id = \(keyID) AND revoked_at IS NULL
                RETURNING prefix
                """)
            guard let prefix = try revoked.first?.decode(String.self, "prefix") else {
                let exists = try !tx.query("SELECT 1 FROM orderdesk.master_key_metadata WHERE id = \(keyID)").isEmpty
                guard exists else { throw AdministrationError.keyNotFound(keyID, tenantID: tenantID) }
                return false
            }
            try Self.audit(
                tenantID, "cli.keys.revoke",
                [
                    "key_id": .string(keyID.uuidString.lowercased()), "key_prefix": .string(prefix),
                    "reason": reason.map(JSONValue.string) ?? .null,
                ], in: tx)
            return true
        }
    }

    /// Disables a tenant: all its keys and sessions are refused (by replicas within their cache
    /// TTL); its data is kept.
    /// - Returns: true when this call disabled it, false when it was already disabled.
    /// - Throws: `AdministrationError.tenantNotFound`.
    public func disableTenant(tenantID: UUID) async throws -> Bool {
        try await database.withTenantTransaction(tenantID) { tx in
            guard let status = try Self.tenantStatus(tenantID, in: tx) else { throw AdministrationError.tenantNotFound(tenantID) }
            guard status != "disabled" else { return false }
            try tx.execute("UPDATE orderdesk.tenants SET status = 'disabled' WHERE id = \(tenantID)")
            try Self.audit(tenantID, "cli.tenants.disable", ["previous_status": .string(status)], in: tx)
            return true
        }
    }

    // MARK: Queries

    /// The tenant's status, or nil when no such tenant exists. `FOR UPDATE` serializes concurrent
    /// operator commands on one tenant.
    private static func tenantStatus(_ tenantID: UUID, in tx: TenantTransaction) throws -> String? {
        try tx.query("SELECT status FROM orderdesk.tenants WHERE id = \(tenantID) FOR UPDATE").first?
            .decode(String.self, "status")
    }

    private static func audit(_ tenantID: UUID, _ action: String, _ params: JSONValue, in tx: TenantTransaction) throws {
        try AuditRecord(tenantID: tenantID, actor: "cli", action: action, params: params, outcome: "ok").insert(in: tx)
    }
}

fileprivate extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
