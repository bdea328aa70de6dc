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
        /// The OrderDesk store ids the key is limited to, in order; nil = every store.
        public let storeIDs: [String]?
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
        /// The OrderDesk store ids the key is limited to, in order; nil = every store.
        public let storeIDs: [String]?
    }

    /// Creates a master key for an active tenant. `write` implies `read`: a write key is stored with
    /// both scopes. `storeIDs` limits the key to those OrderDesk store ids, each of which the tenant
    /// must have registered now; nil = every store, present and future.
    /// - Throws: `AdministrationError` (`tenantNotFound`, `storeNotRegistered`, `validation` for no
    ///   scope, a long label, a malformed store id or a disabled tenant).
    public func createKey(
        tenantID: UUID, scopes: Set<KeyScope>, label: String?, storeIDs: [String]? = nil
    ) async throws -> CreatedKey {
        guard !scopes.isEmpty else { throw AdministrationError(.validation, "a key needs at least one scope (read or write)") }
        let storeIDs = try storeIDs.map(Self.storeList)
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
            if let storeIDs { try Self.requireRegistered(storeIDs, tenantID: tenantID, in: tx) }
            let keyID = try issued.insert(
                tenantID: tenantID, scopeNames: scopeNames, label: label, storeIDs: storeIDs, in: tx)
            try Self.audit(
                tenantID, "cli.keys.create",
                [
                    "key_id": .string(keyID.uuidString.lowercased()), "key_prefix": .string(prefix),
                    "scopes": .array(scopeNames.map(JSONValue.string)), "label": label.map(JSONValue.string) ?? .null,
                    "store_ids": storeIDs.map { .array($0.map(JSONValue.string)) } ?? .null,
                ], in: tx)
            return keyID
        }
        return CreatedKey(keyID: keyID, masterKey: issued.key, prefix: prefix, scopes: scopes, storeIDs: storeIDs)
    }

    /// The tenant's keys, oldest first, revoked ones included.
    public func listKeys(tenantID: UUID) async throws -> [KeySummary] {
        try await database.withTenantTransaction(tenantID) { tx in
            guard try Self.tenantStatus(tenantID, in: tx) != nil else { throw AdministrationError.tenantNotFound(tenantID) }
            return try tx.query(
                """
                SELECT id, prefix, label, scopes, created_at, last_used_at, revoked_at, revoked_reason, store_ids
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
                    revokedReason: try row.decode(String?.self, "revoked_reason"),
                    storeIDs: try row.decode(PostgresTextArray?.self, "store_ids").map { Self.sorted($0.elements) })
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

    // MARK: Store limits

    /// At most this many stores per key (the schema's limit too).
    static let maximumStores = 100

    /// `ids` trimmed, checked (OrderDesk store ids are 1–20 digits), without repeats, in order.
    private static func storeList(_ ids: [String]) throws -> [String] {
        let ids = ids.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard !ids.isEmpty else { throw AdministrationError(.validation, "--store needs at least one OrderDesk store id") }
        for id in ids where !StoreRegistration.isOrderDeskStoreID(id) {
            throw AdministrationError(
                .validation, "--store \"\(id.prefix(40))\" is not an OrderDesk store id (1 to 20 digits, e.g. 10001)")
        }
        let unique = sorted(Array(Set(ids)))
        guard unique.count <= maximumStores else {
            throw AdministrationError(.validation, "a key can be limited to at most \(maximumStores) stores")
        }
        return unique
    }

    /// Store ids in numeric order (they are digits; shorter is smaller).
    static func sorted(_ ids: [String]) -> [String] {
        ids.sorted { ($0.count, $0) < ($1.count, $1) }
    }

    /// Refuses store ids the tenant has not registered, naming them and the registered ones.
    private static func requireRegistered(_ ids: [String], tenantID: UUID, in tx: TenantTransaction) throws {
        let registered = Set(
            try tx.query("SELECT store_id FROM orderdesk.stores").map { try $0.decode(String.self, "store_id") })
        let missing = ids.filter { !registered.contains($0) }
        guard !missing.isEmpty else { return }
        let tenant = tenantID.uuidString.lowercased()
        throw AdministrationError(
            .storeNotRegistered,
            "tenant \(tenant) has no registered store with OrderDesk store id \(missing.joined(separator: ", ")); "
                + (registered.isEmpty
                    ? "it has no stores yet (register them with the stores_register tool first)"
                    : "its stores are \(sorted(Array(registered)).joined(separator: ", "))"))
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
