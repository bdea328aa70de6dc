import Cryptography
import Foundation
import JSON
import Postgres

/// What the operator CLI does with tenants and their master keys. A created master key is returned
/// once and never stored: the database keeps only its HMAC fingerprint and argon2id hash.
public struct TenantAdministration: Sendable {
    private let database: Database
    private let pepper: [UInt8]
    private let hasher: KeyHasher

    public init(database: Database, pepper: [UInt8], hasher: KeyHasher) {
        self.database = database
        self.pepper = pepper
        self.hasher = hasher
    }

    public struct CreatedTenant: Sendable {
        public let tenantID: UUID
        public let name: String
        public let masterKey: String
        public let keyPrefix: String
    }

    public struct TenantSummary: Sendable {
        public let id: UUID
        public let name: String
        public let status: String
        public let createdAt: Date
    }

    /// Creates a tenant with a fresh HKDF salt and its first (read+write) master key.
    public func createTenant(name: String) async throws -> CreatedTenant {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else {
            throw ConfigurationError(variable: "--name", problem: "must be 1 to 200 characters")
        }
        let tenantID = UUID()
        let salt = SecureRandom.bytes(32)
        let issued = try await IssuedMasterKey.generate(pepper: pepper, hasher: hasher)
        let prefix = issued.prefix
        try await database.withTenantTransaction(tenantID) { tx in
            try tx.execute(
                "INSERT INTO orderdesk.tenants (id, name, hkdf_salt) VALUES (\(tenantID), \(name), \(salt))")
            _ = try issued.insert(tenantID: tenantID, scopeNames: ["read", "write"], label: "initial", in: tx)
            try AuditRecord(
                tenantID: tenantID, actor: "cli", action: "cli.tenants.create",
                params: ["name": .string(name), "key_prefix": .string(prefix)], outcome: "ok"
            ).insert(in: tx)
        }
        return CreatedTenant(tenantID: tenantID, name: name, masterKey: issued.key, keyPrefix: prefix)
    }

    /// Every tenant, oldest first (through the `list_tenants()` function: RLS hides other tenants'
    /// rows from the app role everywhere else).
    public func listTenants() async throws -> [TenantSummary] {
        try await database.withUnscopedTransaction { tx in
            try tx.query("SELECT id, name, status, created_at FROM orderdesk.list_tenants() ORDER BY created_at, id")
                .map { row in
                    TenantSummary(
                        id: try row.decode(UUID.self, "id"), name: try row.decode(String.self, "name"),
                        status: try row.decode(String.self, "status"), createdAt: try row.decode(Date.self, "created_at"))
                }
        }
    }
}
