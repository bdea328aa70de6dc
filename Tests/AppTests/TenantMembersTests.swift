import App
import Foundation
import JSON
import Postgres
import TestSupport
import Testing

@Suite(.serialized) struct TenantMembersTests {
    @Test func membersAreAddedListedAndRemovedWithAnAuditTrail() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let members = TenantMembers(database: fixture.database)
            #expect(try await members.addMember(tenantID: tenant.tenantID, email: " Alice@Example.com "))
            #expect(try await members.addMember(tenantID: tenant.tenantID, email: "bob@example.com"))
            // Another spelling of a member is the same member: reported, not an error, not audited.
            #expect(try await members.addMember(tenantID: tenant.tenantID, email: "ALICE@example.COM") == false)

            var listed = try await members.listMembers(tenantID: tenant.tenantID)
            #expect(listed.map(\.email.address) == ["alice@example.com", "bob@example.com"])
            #expect(listed.allSatisfy { abs($0.addedAt.timeIntervalSinceNow) < 300 })

            #expect(try await members.removeMember(tenantID: tenant.tenantID, email: "BOB@example.com"))
            #expect(try await members.removeMember(tenantID: tenant.tenantID, email: "bob@example.com") == false)
            listed = try await members.listMembers(tenantID: tenant.tenantID)
            #expect(listed.map(\.email.address) == ["alice@example.com"])

            let audit = try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.query(
                    """
                    SELECT actor, action, params ->> 'email' AS email FROM orderdesk.audit_log
                    WHERE action LIKE 'cli.tenants.%member' ORDER BY id
                    """
                ).map {
                    [
                        try $0.decode(String.self, "actor"), try $0.decode(String.self, "action"),
                        try $0.decode(String.self, "email"),
                    ]
                }
            }
            #expect(
                audit == [
                    ["cli", "cli.tenants.add_member", "alice@example.com"],
                    ["cli", "cli.tenants.add_member", "bob@example.com"],
                    ["cli", "cli.tenants.remove_member", "bob@example.com"],
                ])
        }
    }

    @Test func signInLookupFindsTheActiveTenantsOfAnAddressByName() async throws {
        try await AppFixture.run { fixture in
            let zulu = try await fixture.createTenant("Zulu shop")
            let alpha = try await fixture.createTenant("Alpha shop")
            let other = try await fixture.createTenant("Other shop")
            let members = TenantMembers(database: fixture.database)
            for tenant in [zulu, alpha] {
                _ = try await members.addMember(tenantID: tenant.tenantID, email: "carol@example.com")
            }
            _ = try await members.addMember(tenantID: other.tenantID, email: "dave@example.com")

            let carol = try MemberEmail("Carol@Example.com")
            var found = try await members.tenants(forEmail: carol)
            #expect(found.map(\.tenantID) == [alpha.tenantID, zulu.tenantID])
            #expect(found.map(\.name) == ["Alpha shop", "Zulu shop"])
            #expect(try await members.tenants(forEmail: MemberEmail("nobody@example.com")) == [])

            // A disabled tenant's members cannot sign in for it.
            #expect(try await fixture.keys.disableTenant(tenantID: zulu.tenantID))
            found = try await members.tenants(forEmail: carol)
            #expect(found.map(\.tenantID) == [alpha.tenantID])

            // A removed member no longer finds the tenant.
            _ = try await members.removeMember(tenantID: alpha.tenantID, email: "carol@example.com")
            #expect(try await members.tenants(forEmail: carol) == [])
        }
    }

    @Test func unknownTenantDisabledTenantAndBadAddressesAreClearErrors() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let members = TenantMembers(database: fixture.database)
            let nobody = UUID()
            for attempt in [
                { try await members.addMember(tenantID: nobody, email: "a@example.com") },
                { try await members.removeMember(tenantID: nobody, email: "a@example.com") },
                { try await members.listMembers(tenantID: nobody).isEmpty },
            ] as [() async throws -> Bool] {
                let error = await caught(AdministrationError.self) { try await attempt() }
                #expect(error?.code == .tenantNotFound)
                #expect(error?.message.contains(nobody.uuidString.lowercased()) == true)
            }

            let invalid = await caught(AdministrationError.self) {
                try await members.addMember(tenantID: tenant.tenantID, email: "a@example.com\r\nBcc: x@example.com")
            }
            #expect(invalid?.code == .validation)
            #expect(invalid?.message.hasPrefix("--email: ") == true)
            #expect(invalid?.message.contains("Bcc") == false)  // the input is not echoed
            #expect(
                await caught(AdministrationError.self) {
                    try await members.removeMember(tenantID: tenant.tenantID, email: "not an address")
                }?.code == .validation)

            // A member may be removed from a disabled tenant, but none added.
            _ = try await members.addMember(tenantID: tenant.tenantID, email: "erin@example.com")
            _ = try await fixture.keys.disableTenant(tenantID: tenant.tenantID)
            let disabled = await caught(AdministrationError.self) {
                try await members.addMember(tenantID: tenant.tenantID, email: "frank@example.com")
            }
            #expect(disabled?.code == .validation)
            #expect(disabled?.message.contains("disabled") == true)
            #expect(try await members.removeMember(tenantID: tenant.tenantID, email: "erin@example.com"))
            #expect(try await members.listMembers(tenantID: tenant.tenantID).isEmpty)
        }
    }

    @Test func membersOfOneTenantAreInvisibleToAnother() async throws {
        try await AppFixture.run { fixture in
            let a = try await fixture.createTenant()
            let b = try await fixture.createTenant()
            let members = TenantMembers(database: fixture.database)
            _ = try await members.addMember(tenantID: b.tenantID, email: "grace@example.com")
            #expect(try await members.listMembers(tenantID: a.tenantID).isEmpty)
            // Removing B's member while naming A removes nothing.
            #expect(try await members.removeMember(tenantID: a.tenantID, email: "grace@example.com") == false)
            #expect(try await members.listMembers(tenantID: b.tenantID).map(\.email.address) == ["grace@example.com"])
        }
    }
}
