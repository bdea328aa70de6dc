import App
import ArgumentParser
import Foundation
import JSON
import Postgres

/// `orderdesk-mcp tenants add-member|remove-member|members`: who may sign in for a tenant with an
/// e-mail link. Addresses are normalized (trimmed, lowercased) before they are stored or compared.
extension TenantsCommand {
    struct AddMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-member",
            abstract: "Let an e-mail address sign in for a tenant (adding an existing member changes nothing).")
        @OptionGroup var options: Options
        @Option(help: "The tenant's id (see `tenants list`).") var tenant: String
        @Option(help: "The member's e-mail address (ASCII; an internationalized domain in its xn-- form).")
        var email: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let tenantID = try parseID(tenant, option: "--tenant")
            try await reportingFailures {
                let normalized = try normalizedEmail(email)
                let added = try await options.withTenantMembers { members in
                    try await members.addMember(tenantID: tenantID, email: normalized.address)
                }
                let id = tenantID.uuidString.lowercased()
                if json {
                    let output: JSONValue = [
                        "tenant_id": .string(id), "email": .string(normalized.address), "added": .bool(added),
                    ]
                    print(output.encodedString())
                } else {
                    print(
                        added
                            ? "added \(normalized.address) to tenant \(id)"
                            : "\(normalized.address) is already a member of tenant \(id)")
                }
            }
        }
    }

    struct RemoveMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove-member",
            abstract: "Stop an e-mail address signing in for a tenant; end its web sessions and revoke its grants.",
            discussion: """
                Removes the member, deletes the address's web sessions for the tenant (the consent and grants \
                pages) and revokes every live OAuth grant given under it, so its clients' access and refresh \
                tokens stop working at once (an oauth.grant_revoked audit row each). Sessions and grants are \
                swept even when the address is no longer a member.
                """)
        @OptionGroup var options: Options
        @Option(help: "The tenant's id (see `tenants list`).") var tenant: String
        @Option(help: "The member's e-mail address (see `tenants members`).") var email: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let tenantID = try parseID(tenant, option: "--tenant")
            try await reportingFailures {
                let normalized = try normalizedEmail(email)
                let removal = try await options.withTenantMembers { members in
                    try await members.removeMember(tenantID: tenantID, email: normalized.address)
                }
                let id = tenantID.uuidString.lowercased()
                if json {
                    let output: JSONValue = [
                        "tenant_id": .string(id), "email": .string(normalized.address), "removed": .bool(removal.removed),
                        "grants_revoked": .int(Int64(removal.revokedGrants.count)),
                        "revoked_grant_ids": .array(removal.revokedGrants.map { .string($0.uuidString.lowercased()) }),
                        "sessions_ended": .int(Int64(removal.endedSessions)),
                    ]
                    print(output.encodedString())
                } else {
                    print(
                        removal.removed
                            ? "removed \(normalized.address) from tenant \(id)"
                            : "\(normalized.address) was not a member of tenant \(id)")
                    print(
                        "\(removal.revokedGrants.count) grant(s) revoked, \(removal.endedSessions) web session(s) ended")
                }
            }
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List who may sign in for a tenant.")
        @OptionGroup var options: Options
        @Option(help: "The tenant's id (see `tenants list`).") var tenant: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let tenantID = try parseID(tenant, option: "--tenant")
            try await reportingFailures {
                let members = try await options.withTenantMembers { members in
                    try await members.listMembers(tenantID: tenantID)
                }
                let formatter = ISO8601DateFormatter()
                if json {
                    let rows: [JSONValue] = members.map { member in
                        ["email": .string(member.email.address), "added_at": .string(formatter.string(from: member.addedAt))]
                    }
                    print(JSONValue.array(rows).encodedString())
                } else {
                    for member in members {
                        print("\(member.email.address)  added \(formatter.string(from: member.addedAt))")
                    }
                }
            }
        }
    }
}

/// `--email` normalized, or the reason it is not an address (exit 1, like every refused value).
private func normalizedEmail(_ text: String) throws -> MemberEmail {
    do {
        return try MemberEmail(text)
    } catch {
        throw AdministrationError(.validation, "--email: \(error.reason)")
    }
}

extension TenantsCommand.Options {
    /// Runs `body` with `TenantMembers` and shuts the database pool down afterwards, whether `body`
    /// succeeds or fails.
    func withTenantMembers<T: Sendable>(_ body: (TenantMembers) async throws -> T) async throws -> T {
        let database = try database()
        do {
            let value = try await body(TenantMembers(database: database))
            await database.shutdown()
            return value
        } catch {
            await database.shutdown()
            throw error
        }
    }
}
