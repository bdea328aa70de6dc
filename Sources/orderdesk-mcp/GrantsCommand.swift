import App
import ArgumentParser
import Foundation
import JSON
import Postgres

/// `orderdesk-mcp grants list|revoke`: the OAuth grants of a tenant (one per consent a member gave
/// a client), run as the app role (`DATABASE_URL`). Never prints a code or token (the database has
/// only their hashes anyway).
struct GrantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grants", abstract: "List and revoke a tenant's OAuth grants (what members let clients do).",
        subcommands: [List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's OAuth grants, newest first.")
        @OptionGroup var options: TenantsCommand.Options
        @Option(help: "The tenant's id (see `tenants list`).") var tenant: String
        @Flag(help: "Include revoked grants.") var all = false
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let tenantID = try parseID(tenant, option: "--tenant")
            try await reportingFailures {
                let grants = try await options.withGrantStore { store in
                    try await store.listGrants(tenantID: tenantID, includeRevoked: all)
                }
                let formatter = ISO8601DateFormatter()
                func date(_ value: Date?) -> JSONValue { value.map { .string(formatter.string(from: $0)) } ?? .null }
                if json {
                    let rows: [JSONValue] = grants.map { grant in
                        [
                            "id": .string(grant.id.uuidString.lowercased()), "client_id": .string(grant.clientID),
                            "client_name": .string(grant.clientName), "member_email": .string(grant.memberEmail),
                            "scopes": .array(OAuthScope.sortedNames(grant.scopes).map(JSONValue.string)),
                            "store_ids": grant.storeIDs.map { .array($0.sorted().map(JSONValue.string)) } ?? .null,
                            "resource": .string(grant.resource), "created_at": date(grant.createdAt),
                            "last_used_at": date(grant.lastUsedAt), "revoked_at": date(grant.revokedAt),
                        ]
                    }
                    print(JSONValue.array(rows).encodedString())
                } else {
                    for grant in grants {
                        let stores = grant.storeIDs.map { "stores " + $0.sorted().joined(separator: ",") } ?? "all stores"
                        let state = grant.revokedAt.map { "revoked " + formatter.string(from: $0) } ?? "active"
                        print(
                            "\(grant.id.uuidString.lowercased())  \(state)  \(grant.memberEmail)  "
                                + "\(OAuthScope.scopeString(grant.scopes))  \(stores)  "
                                + "client \(grant.clientName.debugDescription) (\(grant.clientID))  "
                                + "created \(formatter.string(from: grant.createdAt))")
                    }
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a grant: every access and refresh token issued under it stops working at once.",
            discussion: "Writes an oauth.grant_revoked audit row (actor cli, reason operator) when it revoked the grant.")
        @OptionGroup var options: TenantsCommand.Options
        @Option(help: "The tenant's id (see `tenants list`).") var tenant: String
        @Option(help: "The grant's id (see `grants list`).") var grant: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let tenantID = try parseID(tenant, option: "--tenant")
            let grantID = try parseID(grant, option: "--grant")
            try await reportingFailures {
                let revoked = try await options.withGrantStore { store in
                    try await store.revokeGrant(
                        tenantID: tenantID, grantID: grantID,
                        audit: AuditRecord(
                            tenantID: tenantID, actor: "cli", action: "oauth.grant_revoked", params: ["reason": "operator"],
                            outcome: "ok"))
                }
                let id = grantID.uuidString.lowercased()
                if json {
                    print(JSONValue.object(["grant_id": .string(id), "revoked": .bool(revoked)]).encodedString())
                } else {
                    print(revoked ? "revoked grant \(id)" : "grant \(id) is unknown for this tenant or already revoked")
                }
            }
        }
    }
}

extension TenantsCommand.Options {
    /// Runs `body` with a `GrantStore` and shuts the database pool down afterwards.
    func withGrantStore<T: Sendable>(_ body: (GrantStore) async throws -> T) async throws -> T {
        let database = try database()
        do {
            let value = try await body(GrantStore(database: database))
            await database.shutdown()
            return value
        } catch {
            await database.shutdown()
            throw error
        }
    }
}
