import App
import Cryptography
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

            #expect(try await members.removeMember(tenantID: tenant.tenantID, email: "BOB@example.com").removed)
            #expect(try await members.removeMember(tenantID: tenant.tenantID, email: "bob@example.com").removed == false)
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
                { try await members.removeMember(tenantID: nobody, email: "a@example.com").removed },
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
            #expect(try await members.removeMember(tenantID: tenant.tenantID, email: "erin@example.com").removed)
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
            #expect(try await members.removeMember(tenantID: a.tenantID, email: "grace@example.com").removed == false)
            #expect(try await members.listMembers(tenantID: b.tenantID).map(\.email.address) == ["grace@example.com"])
        }
    }

    static let resource = "http://127.0.0.1:8080/mcp"
    static let redirect = "http://127.0.0.1:33418/callback"
    static let client = "odc_AbCdEfGhIjKlMnOpQrStUv"

    /// A grant for `email` in `tenantID` and the tokens of its first code exchange.
    static func grant(_ store: GrantStore, _ tenantID: UUID, _ email: String) async throws -> (OAuthGrant, IssuedTokens) {
        let grant = try await store.createGrant(
            tenantID: tenantID, clientID: client, clientName: "Claude Desktop", memberEmail: try MemberEmail(email),
            scopes: [.ordersRead], storeIDs: nil, resource: resource)
        let verifier = Base64URL.encode(SecureRandom.bytes(48))
        let code = try await store.issueCode(
            tenantID: tenantID, grantID: grant.id, redirectURI: redirect,
            codeChallenge: PKCE.s256Challenge(forVerifier: verifier))
        let tokens = try await store.exchangeCode(
            code, clientID: client, redirectURI: redirect, codeVerifier: verifier, resource: resource)
        return (grant, tokens)
    }

    @Test func removingAMemberEndsTheirWebSessionsAndRevokesTheirGrantsAtOnce() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com", "bob@example.com"])
            let bravo = try await fixture.tenantWithMembers("Bravo", ["ann@example.com"])
            let members = TenantMembers(database: fixture.database)
            let sessions = WebSessionStore(database: fixture.database)
            let grants = GrantStore(database: fixture.database)
            let ann = try MemberEmail("ann@example.com")
            let bob = try MemberEmail("bob@example.com")

            let annSessions = [
                try await sessions.create(tenantID: alpha, email: ann), try await sessions.create(tenantID: alpha, email: ann),
            ]
            let bobSession = try await sessions.create(tenantID: alpha, email: bob)
            let annBravoSession = try await sessions.create(tenantID: bravo, email: ann)
            let (annGrant, annTokens) = try await Self.grant(grants, alpha, "ann@example.com")
            let (annSecond, annSecondTokens) = try await Self.grant(grants, alpha, "ann@example.com")
            let (annOld, _) = try await Self.grant(grants, alpha, "ann@example.com")
            #expect(try await grants.revokeGrant(tenantID: alpha, grantID: annOld.id))  // already revoked: not counted
            let (bobGrant, bobTokens) = try await Self.grant(grants, alpha, "bob@example.com")
            let (annBravoGrant, annBravoTokens) = try await Self.grant(grants, bravo, "ann@example.com")

            let removal = try await members.removeMember(tenantID: alpha, email: "Ann@Example.com")
            #expect(removal.removed)
            #expect(removal.revokedGrants == [annGrant.id, annSecond.id])
            #expect(removal.endedSessions == 2)

            // Ann's access to Alpha is gone: sessions, access tokens, refresh tokens.
            for id in annSessions { #expect(try await sessions.find(id) == nil) }
            #expect(try await grants.verifyAccessToken(annTokens.accessToken) == nil)
            #expect(try await grants.verifyAccessToken(annSecondTokens.accessToken) == nil)
            let refused = await caught(OAuthError.self) {
                try await grants.refresh(annTokens.refreshToken, clientID: Self.client, resource: Self.resource)
            }
            #expect(refused?.code == .invalidGrant)
            let live = try await grants.listGrants(tenantID: alpha).map(\.id)
            #expect(live == [bobGrant.id])

            // Bob in Alpha and Ann in Bravo keep theirs.
            #expect(try await sessions.find(bobSession)?.email == bob)
            #expect(try await sessions.find(annBravoSession)?.tenantID == bravo)
            #expect(try await grants.verifyAccessToken(bobTokens.accessToken)?.grantID == bobGrant.id)
            #expect(try await grants.verifyAccessToken(annBravoTokens.accessToken)?.grantID == annBravoGrant.id)
            let refreshed = try await grants.refresh(bobTokens.refreshToken, clientID: Self.client, resource: Self.resource)
            #expect(try await grants.verifyAccessToken(refreshed.accessToken) != nil)

            // One audit row per revoked grant, sharing the removal's correlation id; no token in them.
            let audit = try await fixture.database.withTenantTransaction(alpha) { tx in
                try tx.query(
                    """
                    SELECT actor, action, target, params::text AS params, correlation_id FROM orderdesk.audit_log
                    WHERE action IN ('oauth.grant_revoked', 'cli.tenants.remove_member') ORDER BY id
                    """
                ).map {
                    (
                        try $0.decode(String.self, "actor"), try $0.decode(String.self, "action"),
                        try $0.decode(String?.self, "target"), try $0.decode(String.self, "params"),
                        try $0.decode(String.self, "correlation_id")
                    )
                }
            }
            #expect(audit.map(\.1) == ["cli.tenants.remove_member", "oauth.grant_revoked", "oauth.grant_revoked"])
            #expect(audit.allSatisfy { $0.0 == "cli" })
            #expect(Set(audit.map(\.4)).count == 1)
            #expect(audit.dropFirst().map(\.2) == [annGrant.id, annSecond.id].map { $0.uuidString.lowercased() })
            for row in audit.dropFirst() {
                let params = try JSONValue(parsing: Data(row.3.utf8))
                #expect(params == ["reason": "member_removed"])
            }
            for row in audit {
                #expect(!row.3.contains("odat_") && !row.3.contains("odrt_"))
            }
            let bravoAudit = try await fixture.database.withTenantTransaction(bravo) { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.audit_log WHERE action = 'oauth.grant_revoked'")[0]
                    .decode(Int.self, "n")
            }
            #expect(bravoAudit == 0)

            // Again, as a non-member: nothing left to revoke or end, and no audit row.
            let again = try await members.removeMember(tenantID: alpha, email: "ann@example.com")
            #expect(again == TenantMembers.Removal(removed: false, revokedGrants: [], endedSessions: 0))
        }
    }

    @Test func removingAgainSweepsGrantsAndSessionsLeftForAFormerMember() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let members = TenantMembers(database: fixture.database)
            let grants = GrantStore(database: fixture.database)
            #expect(try await members.removeMember(tenantID: alpha, email: "ann@example.com").removed)
            // A consent in flight while the member was removed: its session and grant land afterwards.
            try await fixture.database.withTenantTransaction(alpha) { tx in
                try tx.execute(
                    """
                    INSERT INTO orderdesk.sessions (id_hash, kind, tenant_id, member_email, expires_at)
                    VALUES (\(SecureRandom.bytes(32)), 'web', \(alpha), 'ann@example.com', now() + interval '1 hour')
                    """)
            }
            // (createGrant itself now refuses a non-member, so the late grant is written directly.)
            let late = UUID()
            try await fixture.database.withTenantTransaction(alpha) { tx in
                try tx.execute(
                    """
                    INSERT INTO orderdesk.oauth_grants (id, tenant_id, client_id, client_name, member_email, scopes, resource)
                    VALUES (\(late), \(alpha), \(Self.client), 'Late', 'ann@example.com', '{orders:read}', \(Self.resource))
                    """)
            }
            let removal = try await members.removeMember(tenantID: alpha, email: "ann@example.com")
            #expect(removal == TenantMembers.Removal(removed: false, revokedGrants: [late], endedSessions: 1))
            #expect(try await grants.listGrants(tenantID: alpha).isEmpty)
        }
    }
}
