import App
import Cryptography
import Foundation
import JSON
import TestSupport
import Testing

/// `orderdesk-mcp grants list|revoke`, run as the built binary against grants made with `GrantStore`.
@Suite(.serialized) struct GrantsCommandTests {
    static func run(_ arguments: [String], fixture: AppFixture) async throws -> BinaryProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        environment["MASTER_KEY_PEPPER"] = nil
        environment["DATABASE_URL"] = nil
        return try await BinaryProcess.run(
            "orderdesk-mcp", arguments + ["--database-url", fixture.scratch.appURL], environment: environment)
    }

    @Test func listAndRevokeNeverShowingATokenOrCode() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let other = try await fixture.createTenant()
            let t = tenant.tenantID.uuidString.lowercased()
            let store = GrantStore(database: fixture.database)
            func grant(_ scopes: Set<OAuthScope>, stores: Set<String>?, tenantID: UUID) async throws -> (OAuthGrant, String) {
                try await fixture.database.withTenantTransaction(tenantID) { tx in
                    // createGrant needs a member (a grant stops working once its member is removed).
                    try tx.execute(
                        "INSERT INTO orderdesk.tenant_members (tenant_id, email) VALUES (\(tenantID), 'ann@example.com') ON CONFLICT DO NOTHING"
                    )
                }
                let grant = try await store.createGrant(
                    tenantID: tenantID, clientID: "https://client.example/meta.json", clientName: "Client \"A\"",
                    memberEmail: try MemberEmail("ann@example.com"), scopes: scopes, storeIDs: stores,
                    resource: "http://127.0.0.1:8080/mcp")
                let verifier = Base64URL.encode(SecureRandom.bytes(48))
                let code = try await store.issueCode(
                    tenantID: tenantID, grantID: grant.id, redirectURI: "http://127.0.0.1:9/cb",
                    codeChallenge: PKCE.s256Challenge(forVerifier: verifier))
                let tokens = try await store.exchangeCode(
                    code, clientID: grant.clientID, redirectURI: "http://127.0.0.1:9/cb", codeVerifier: verifier,
                    resource: nil)
                return (grant, tokens.accessToken)
            }
            let (read, readToken) = try await grant([.ordersRead], stores: ["10001", "10002"], tenantID: tenant.tenantID)
            let (write, writeToken) = try await grant([.ordersRead, .ordersWrite], stores: nil, tenantID: tenant.tenantID)
            let (foreign, _) = try await grant([.ordersRead], stores: nil, tenantID: other.tenantID)
            let readID = read.id.uuidString.lowercased()
            let writeID = write.id.uuidString.lowercased()

            let listed = try await Self.run(["grants", "list", "--tenant", t, "--json"], fixture: fixture)
            #expect(listed.exitCode == 0, "\(listed.errorOutput)")
            let rows = try JSONValue(parsing: Data(listed.output.utf8)).arrayValue ?? []
            #expect(rows.map { $0["id"]?.stringValue } == [writeID, readID])  // newest first, own tenant only
            #expect(rows.last?["scopes"] == ["orders:read"])
            #expect(rows.last?["store_ids"] == ["10001", "10002"])
            #expect(rows.first?["store_ids"] == .null)
            #expect(rows.first?["scopes"] == ["orders:read", "orders:write"])
            #expect(rows.first?["member_email"] == "ann@example.com")
            #expect(rows.first?["client_name"] == "Client \"A\"")
            #expect(rows.first?["revoked_at"] == .null)
            #expect(rows.first?["last_used_at"]?.stringValue?.isEmpty == false)

            let text = try await Self.run(["grants", "list", "--tenant", t], fixture: fixture)
            #expect(text.exitCode == 0, "\(text.errorOutput)")
            let lines = text.output.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.first?.hasPrefix("\(writeID)  active  ann@example.com  orders:read orders:write  all stores") == true)
            #expect(lines.last?.contains("stores 10001,10002") == true)

            let revoked = try await Self.run(["grants", "revoke", "--tenant", t, "--grant", readID], fixture: fixture)
            #expect(revoked.exitCode == 0, "\(revoked.errorOutput)")
            #expect(revoked.output.contains("revoked grant \(readID)"))
            #expect(try await store.verifyAccessToken(readToken) == nil)
            #expect(try await store.verifyAccessToken(writeToken) != nil)

            let again = try await Self.run(
                ["grants", "revoke", "--tenant", t, "--grant", readID, "--json"], fixture: fixture)
            #expect(again.exitCode == 0)
            #expect(try JSONValue(parsing: Data(again.output.utf8))["revoked"] == false)
            // Another tenant's grant is not this tenant's to revoke.
            let cross = try await Self.run(
                ["grants", "revoke", "--tenant", t, "--grant", foreign.id.uuidString.lowercased(), "--json"],
                fixture: fixture)
            #expect(try JSONValue(parsing: Data(cross.output.utf8))["revoked"] == false)
            #expect(try await store.listGrants(tenantID: other.tenantID).count == 1)

            // One audit row, for the revocation that happened; none for the no-ops, none in the other tenant.
            func revocations(_ tenantID: UUID) async throws -> [[String?]] {
                try await fixture.database.withTenantTransaction(tenantID) { tx in
                    try tx.query(
                        """
                        SELECT actor, target, params ->> 'reason' AS reason FROM orderdesk.audit_log
                        WHERE action = 'oauth.grant_revoked' ORDER BY id
                        """
                    ).map {
                        [
                            try $0.decode(String?.self, "actor"), try $0.decode(String?.self, "target"),
                            try $0.decode(String?.self, "reason"),
                        ]
                    }
                }
            }
            #expect(try await revocations(tenant.tenantID) == [["cli", readID, "operator"]])
            #expect(try await revocations(other.tenantID) == [])

            let live = try await Self.run(["grants", "list", "--tenant", t, "--json"], fixture: fixture)
            #expect((try JSONValue(parsing: Data(live.output.utf8)).arrayValue ?? []).map { $0["id"]?.stringValue } == [writeID])
            let all = try await Self.run(["grants", "list", "--tenant", t, "--all", "--json"], fixture: fixture)
            let allRows = try JSONValue(parsing: Data(all.output.utf8)).arrayValue ?? []
            #expect(allRows.count == 2)
            #expect(allRows.last?["revoked_at"]?.stringValue?.isEmpty == false)
            let allText = try await Self.run(["grants", "list", "--tenant", t, "--all"], fixture: fixture)
            #expect(allText.output.contains("\(readID)  revoked "))

            for output in [listed.output, text.output, all.output, allText.output, revoked.output] {
                #expect(!output.contains("odat_") && !output.contains("odrt_") && !output.contains("odac_"))
            }

            let bad = try await Self.run(["grants", "revoke", "--tenant", t, "--grant", "nope"], fixture: fixture)
            #expect(bad.exitCode != 0)
            #expect(bad.errorOutput.contains("--grant must be a uuid"))
        }
    }
}
