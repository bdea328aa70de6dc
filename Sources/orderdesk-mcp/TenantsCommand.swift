import App
import ArgumentParser
import Foundation
import JSON
import Postgres

/// `orderdesk-mcp tenants create|list|disable|add-member|remove-member|members`: operator commands
/// on tenants and their members (TenantMembersCommand.swift), run as the app role
/// (`DATABASE_URL`) with `MASTER_KEY_PEPPER` set like the server's.
struct TenantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants", abstract: "Create, list and disable tenants; manage who may sign in for them.",
        subcommands: [Create.self, List.self, Disable.self, AddMember.self, RemoveMember.self, Members.self])

    struct Options: ParsableArguments {
        @Option(help: "App-role connection URL (default: $DATABASE_URL).")
        var databaseURL: String?

        func database() throws -> Database {
            guard let url = databaseURL ?? EnvironmentReader().text("DATABASE_URL"), !url.isEmpty else {
                throw ValidationError("set DATABASE_URL or pass --database-url")
            }
            // Like `serve`, the CLI may reach PostgreSQL through a transaction-mode pooler.
            let statements = try EnvironmentReader().preparedStatementMode()
            return Database(configuration: DatabaseConfiguration(url: url, poolSize: 1, preparedStatements: statements))
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant and print its id and first master key (shown once, never stored).")
        @OptionGroup var options: Options
        @Option(help: "The tenant's display name.") var name: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            try await reportingFailures {
                let pepper = try EnvironmentReader().masterKeyPepper()
                let database = try options.database()
                let hasher = KeyHasher(threads: 1)
                let admin = TenantAdministration(database: database, pepper: pepper, hasher: hasher)
                let created = try await admin.createTenant(name: name)
                await hasher.shutdown()
                await database.shutdown()
                if json {
                    let output: JSONValue = [
                        "tenant_id": .string(created.tenantID.uuidString.lowercased()), "name": .string(created.name),
                        "master_key": .string(created.masterKey), "key_prefix": .string(created.keyPrefix),
                    ]
                    print(output.encodedString())
                } else {
                    print("tenant_id:  \(created.tenantID.uuidString.lowercased())")
                    print("name:       \(created.name)")
                    print("master_key: \(created.masterKey)")
                    print("(the master key is shown only now; store it in a secret manager)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every tenant.")
        @OptionGroup var options: Options
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            try await reportingFailures {
                let database = try options.database()
                let admin = TenantAdministration(database: database, pepper: [], hasher: KeyHasher(threads: 1))
                let tenants = try await admin.listTenants()
                await database.shutdown()
                if json {
                    let rows: [JSONValue] = tenants.map { tenant in
                        [
                            "tenant_id": .string(tenant.id.uuidString.lowercased()), "name": .string(tenant.name),
                            "status": .string(tenant.status),
                            "created_at": .string(ISO8601DateFormatter().string(from: tenant.createdAt)),
                        ]
                    }
                    print(JSONValue.array(rows).encodedString())
                } else {
                    for tenant in tenants {
                        print("\(tenant.id.uuidString.lowercased())  \(tenant.status)  \(tenant.name)")
                    }
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a tenant: every key and session of it is refused (within AUTH_CACHE_TTL_SECONDS); data is kept.")
        @OptionGroup var options: Options
        @Option(help: "The tenant's id (see `tenants list`).") var tenant: String

        func run() async throws {
            let tenantID = try parseID(tenant, option: "--tenant")
            try await reportingFailures {
                let disabled = try await options.withKeyAdministration { admin in
                    try await admin.disableTenant(tenantID: tenantID)
                }
                let id = tenantID.uuidString.lowercased()
                print(disabled ? "disabled tenant \(id)" : "tenant \(id) was already disabled")
            }
        }
    }
}
