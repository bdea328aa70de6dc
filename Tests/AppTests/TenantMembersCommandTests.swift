import App
import Foundation
import JSON
import TestSupport
import Testing

/// `orderdesk-mcp tenants add-member|remove-member|members`, run as the built binary.
@Suite(.serialized) struct TenantMembersCommandTests {
    static func run(_ arguments: [String], fixture: AppFixture) async throws -> BinaryProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        // Member commands need no pepper: none is given, so a dependency on it would fail here.
        environment["MASTER_KEY_PEPPER"] = nil
        environment["DATABASE_URL"] = nil
        return try await BinaryProcess.run(
            "orderdesk-mcp", arguments + ["--database-url", fixture.scratch.appURL], environment: environment)
    }

    @Test func addListAndRemoveMembers() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let t = tenant.tenantID.uuidString.lowercased()

            let add = try await Self.run(
                ["tenants", "add-member", "--tenant", t, "--email", " Heidi@Example.com", "--json"], fixture: fixture)
            #expect(add.exitCode == 0, "\(add.errorOutput)")
            let added = try JSONValue(parsing: Data(add.output.utf8))
            #expect(added["email"] == "heidi@example.com")
            #expect(added["added"] == true)
            #expect(added["tenant_id"]?.stringValue == t)

            let again = try await Self.run(
                ["tenants", "add-member", "--tenant", t, "--email", "heidi@example.com"], fixture: fixture)
            #expect(again.exitCode == 0, "\(again.errorOutput)")
            #expect(again.output.contains("heidi@example.com is already a member of tenant \(t)"))

            let second = try await Self.run(
                ["tenants", "add-member", "--tenant", t, "--email", "ivan@example.com"], fixture: fixture)
            #expect(second.output.contains("added ivan@example.com to tenant \(t)"))

            let list = try await Self.run(["tenants", "members", "--tenant", t, "--json"], fixture: fixture)
            #expect(list.exitCode == 0, "\(list.errorOutput)")
            let listed = try JSONValue(parsing: Data(list.output.utf8)).arrayValue ?? []
            #expect(listed.map { $0["email"]?.stringValue } == ["heidi@example.com", "ivan@example.com"])
            #expect(listed.allSatisfy { $0["added_at"]?.stringValue?.isEmpty == false })

            let text = try await Self.run(["tenants", "members", "--tenant", t], fixture: fixture)
            #expect(
                text.output.split(separator: "\n").map { $0.split(separator: " ").first } == [
                    "heidi@example.com", "ivan@example.com",
                ])

            // Ivan has a web session and a grant: removing him ends the one and revokes the other.
            let ivan = try MemberEmail("ivan@example.com")
            let sessions = WebSessionStore(database: fixture.database)
            let session = try await sessions.create(tenantID: tenant.tenantID, email: ivan)
            let heidiSession = try await sessions.create(tenantID: tenant.tenantID, email: MemberEmail("heidi@example.com"))
            let grants = GrantStore(database: fixture.database)
            let (_, tokens) = try await TenantMembersTests.grant(grants, tenant.tenantID, "ivan@example.com")

            let remove = try await Self.run(
                ["tenants", "remove-member", "--tenant", t, "--email", "IVAN@example.com"], fixture: fixture)
            #expect(remove.exitCode == 0, "\(remove.errorOutput)")
            #expect(remove.output.contains("removed ivan@example.com from tenant \(t)"))
            #expect(remove.output.contains("1 grant(s) revoked, 1 web session(s) ended"))
            #expect(try await sessions.find(session) == nil)
            #expect(try await sessions.find(heidiSession) != nil)
            #expect(try await grants.verifyAccessToken(tokens.accessToken) == nil)
            let gone = try await Self.run(
                ["tenants", "remove-member", "--tenant", t, "--email", "ivan@example.com", "--json"], fixture: fixture)
            #expect(gone.exitCode == 0, "\(gone.errorOutput)")
            let goneJSON = try JSONValue(parsing: Data(gone.output.utf8))
            #expect(goneJSON["removed"] == false)
            #expect(goneJSON["grants_revoked"] == 0)
            #expect(goneJSON["sessions_ended"] == 0)
            #expect(goneJSON["revoked_grant_ids"] == [])

            // What the CLI did is what the sign-in lookup sees.
            let found = try await TenantMembers(database: fixture.database).tenants(forEmail: MemberEmail("heidi@example.com"))
            #expect(found.map(\.tenantID) == [tenant.tenantID])
            #expect(
                try await TenantMembers(database: fixture.database).tenants(forEmail: MemberEmail("ivan@example.com")) == [])

            // --json reports what it revoked.
            let (heidiGrant, _) = try await TenantMembersTests.grant(grants, tenant.tenantID, "heidi@example.com")
            let removeHeidi = try await Self.run(
                ["tenants", "remove-member", "--tenant", t, "--email", "heidi@example.com", "--json"], fixture: fixture)
            let heidiJSON = try JSONValue(parsing: Data(removeHeidi.output.utf8))
            #expect(heidiJSON["removed"] == true)
            #expect(heidiJSON["grants_revoked"] == 1)
            #expect(heidiJSON["revoked_grant_ids"] == [.string(heidiGrant.id.uuidString.lowercased())])
            #expect(heidiJSON["sessions_ended"] == 1)
            #expect(!remove.output.contains("odat_") && !removeHeidi.output.contains("odat_"))
        }
    }

    @Test func unknownTenantAndBadAddressesExitOneWithAClearMessage() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let t = tenant.tenantID.uuidString.lowercased()
            let nobody = UUID().uuidString.lowercased()

            let unknown = try await Self.run(
                ["tenants", "add-member", "--tenant", nobody, "--email", "a@example.com"], fixture: fixture)
            #expect(unknown.exitCode == 1)
            #expect(unknown.errorOutput.contains("no tenant with id \(nobody)"))
            let unknownList = try await Self.run(["tenants", "members", "--tenant", nobody], fixture: fixture)
            #expect(unknownList.exitCode == 1)
            #expect(unknownList.errorOutput.contains("no tenant with id \(nobody)"))

            for email in ["no-at-sign.example.com", "a@b@example.com", "a\nb@example.com", "jörg@example.com", ""] {
                let bad = try await Self.run(["tenants", "add-member", "--tenant", t, "--email", email], fixture: fixture)
                #expect(bad.exitCode == 1, "\(email.debugDescription)")
                #expect(bad.errorOutput.contains("error: --email: "), "\(email.debugDescription): \(bad.errorOutput)")
                #expect(bad.output.isEmpty)
            }
            let members = try await TenantMembers(database: fixture.database).listMembers(tenantID: tenant.tenantID)
            #expect(members.isEmpty)

            let malformed = try await Self.run(
                ["tenants", "remove-member", "--tenant", "not-a-uuid", "--email", "a@example.com"], fixture: fixture)
            #expect(malformed.exitCode != 0)
            #expect(malformed.errorOutput.contains("--tenant must be a uuid"))
            let missing = try await Self.run(["tenants", "add-member", "--tenant", t], fixture: fixture)
            #expect(missing.exitCode != 0)
            #expect(missing.errorOutput.contains("--email"))
        }
    }
}
