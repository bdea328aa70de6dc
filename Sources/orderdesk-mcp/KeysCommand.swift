import App
import ArgumentParser
import Foundation
import JSON
import Postgres

/// `orderdesk-mcp keys create|list|revoke`: operator commands on a tenant's master keys, run as the
/// app role (`DATABASE_URL`) with `MASTER_KEY_PEPPER` set like the server's.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke a tenant's master keys.",
        subcommands: [Create.self, List.self, Revoke.self, RotateEncryptionCommand.self])

    /// Which scopes `--scope` grants.
    enum Scope: String, ExpressibleByArgument, CaseIterable {
        /// Read and write.
        case write
        /// Read only.
        case read

        var scopes: Set<KeyScope> { self == .write ? [.read, .write] : [.read] }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a master key for a tenant and print it (shown once, never stored).")
        @OptionGroup var options: TenantsCommand.Options
        @Option(help: "The tenant's id (see `tenants list`).") var tenant: String
        @Option(help: "write = read and write (default); read = read only.") var scope: Scope = .write
        @Option(help: "A note to tell keys apart, e.g. who holds it.") var label: String?
        @Option(
            name: .customLong("store"),
            help: ArgumentHelp(
                "Limit the key to this OrderDesk store id (repeat for several); the tenant must have registered it. "
                    + "Default: every store. A limited key cannot register or delete stores.",
                valueName: "store-id"))
        var stores: [String] = []
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let tenantID = try parseID(tenant, option: "--tenant")
            try await reportingFailures {
                let pepper = try EnvironmentReader().masterKeyPepper()
                let storeIDs = stores.isEmpty ? nil : stores
                let created = try await options.withKeyAdministration(pepper: pepper) { admin in
                    try await admin.createKey(tenantID: tenantID, scopes: scope.scopes, label: label, storeIDs: storeIDs)
                }
                let scopes = KeyScope.allCases.filter(created.scopes.contains).map(\.rawValue)
                if json {
                    let output: JSONValue = [
                        "tenant_id": .string(tenantID.uuidString.lowercased()),
                        "key_id": .string(created.keyID.uuidString.lowercased()), "master_key": .string(created.masterKey),
                        "key_prefix": .string(created.prefix), "scopes": .array(scopes.map(JSONValue.string)),
                        "store_ids": storeIDsJSON(created.storeIDs),
                    ]
                    print(output.encodedString())
                } else {
                    print("key_id:     \(created.keyID.uuidString.lowercased())")
                    print("scopes:     \(scopes.joined(separator: ","))")
                    print("stores:     \(storesText(created.storeIDs))")
                    print("master_key: \(created.masterKey)")
                    print("(the master key is shown only now; store it in a secret manager)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's master keys (never the keys themselves).")
        @OptionGroup var options: TenantsCommand.Options
        @Option(help: "The tenant's id (see `tenants list`).") var tenant: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let tenantID = try parseID(tenant, option: "--tenant")
            try await reportingFailures {
                let keys = try await options.withKeyAdministration { admin in try await admin.listKeys(tenantID: tenantID) }
                let formatter = ISO8601DateFormatter()
                if json {
                    let rows: [JSONValue] = keys.map { key in
                        [
                            "key_id": .string(key.keyID.uuidString.lowercased()), "key_prefix": .string(key.prefix),
                            "label": key.label.map(JSONValue.string) ?? .null,
                            "scopes": .array(KeyScope.allCases.filter(key.scopes.contains).map { .string($0.rawValue) }),
                            "created_at": .string(formatter.string(from: key.createdAt)),
                            "last_used_at": key.lastUsedAt.map { .string(formatter.string(from: $0)) } ?? .null,
                            "revoked_at": key.revokedAt.map { .string(formatter.string(from: $0)) } ?? .null,
                            "revoked_reason": key.revokedReason.map(JSONValue.string) ?? .null,
                            "store_ids": storeIDsJSON(key.storeIDs),
                        ]
                    }
                    print(JSONValue.array(rows).encodedString())
                } else {
                    for key in keys {
                        let scopes = KeyScope.allCases.filter(key.scopes.contains).map(\.rawValue).joined(separator: ",")
                        let state = key.revokedAt.map { "revoked \(formatter.string(from: $0))" } ?? "active"
                        let used = key.lastUsedAt.map { formatter.string(from: $0) } ?? "never used"
                        print(
                            "\(key.keyID.uuidString.lowercased())  \(key.prefix)…  \(scopes)  stores:\(storesText(key.storeIDs))  "
                                + "\(state)  \(used)  \(key.label ?? "")"
                        )
                    }
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a master key for good (replicas refuse it within AUTH_CACHE_TTL_SECONDS).")
        @OptionGroup var options: TenantsCommand.Options
        @Option(help: "The tenant's id.") var tenant: String
        @Option(help: "The key's id (see `keys list`).") var key: String
        @Option(help: "Why, for the record.") var reason: String?

        func run() async throws {
            let tenantID = try parseID(tenant, option: "--tenant")
            let keyID = try parseID(key, option: "--key")
            try await reportingFailures {
                let revoked = try await options.withKeyAdministration { admin in
                    try await admin.revokeKey(tenantID: tenantID, keyID: keyID, reason: reason)
                }
                print(
                    revoked
                        ? "revoked key \(keyID.uuidString.lowercased())"
                        : "key \(keyID.uuidString.lowercased()) was already revoked")
            }
        }
    }
}

/// A key's store limit in JSON: the store ids, or null for a key that may use every store (one
/// type per field for scripts; the text output says `all`).
func storeIDsJSON(_ storeIDs: [String]?) -> JSONValue {
    storeIDs.map { .array($0.map(JSONValue.string)) } ?? .null
}

/// A key's store limit in text: `10001,10002`, or `all`.
func storesText(_ storeIDs: [String]?) -> String {
    storeIDs?.joined(separator: ",") ?? "all"
}

/// A uuid option, or a usage error naming the option.
func parseID(_ text: String, option: String) throws -> UUID {
    guard let id = UUID(uuidString: text.trimmingCharacters(in: .whitespaces)) else {
        throw ValidationError("\(option) must be a uuid, like 3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b")
    }
    return id
}

extension TenantsCommand.Options {
    /// Runs `body` with a `KeyAdministration` and shuts its database pool and hasher threads down
    /// afterwards, whether `body` succeeds or fails. `pepper` is needed only to create keys.
    func withKeyAdministration<T: Sendable>(
        pepper: [UInt8] = [], _ body: (KeyAdministration) async throws -> T
    ) async throws -> T {
        let database = try database()
        let hasher = KeyHasher(threads: 1)
        let admin = KeyAdministration(database: database, pepper: pepper, hasher: hasher)
        do {
            let value = try await body(admin)
            await hasher.shutdown()
            await database.shutdown()
            return value
        } catch {
            await hasher.shutdown()
            await database.shutdown()
            throw error
        }
    }
}
