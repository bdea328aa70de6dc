import App
import Cryptography
import Foundation
import JSON
import TestSupport
import Testing

/// The operator CLI, run as the built `orderdesk-mcp` binary.
@Suite(.serialized) struct KeysCommandTests {
    static func run(_ arguments: [String], fixture: AppFixture) async throws -> BinaryProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        environment["MASTER_KEY_PEPPER"] = Data(fixture.pepper).base64EncodedString()
        environment["DATABASE_URL"] = nil
        return try await BinaryProcess.run(
            "orderdesk-mcp", arguments + ["--database-url", fixture.scratch.appURL], environment: environment)
    }

    @Test func keysCreateListRevokeAndTenantsDisable() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let t = tenant.tenantID.uuidString.lowercased()

            let create = try await Self.run(
                ["keys", "create", "--tenant", t, "--scope", "read", "--label", "ci", "--json"], fixture: fixture)
            #expect(create.exitCode == 0, "\(create.errorOutput)")
            let created = try JSONValue(parsing: Data(create.output.utf8))
            let masterKey = try #require(created["master_key"]?.stringValue)
            let keyID = try #require(created["key_id"]?.stringValue)
            #expect(MasterKey.isWellFormed(masterKey))
            #expect(created["scopes"] == ["read"])
            // The printed key works (same pepper as the CLI's).
            let principal = try await fixture.authenticator().authenticate(masterKey: masterKey, clientIP: nil)
            #expect(principal.keyID.uuidString.lowercased() == keyID)
            #expect(principal.scopes == [.read])

            let list = try await Self.run(["keys", "list", "--tenant", t, "--json"], fixture: fixture)
            #expect(list.exitCode == 0, "\(list.errorOutput)")
            #expect(!list.output.contains(masterKey))
            let listed = try JSONValue(parsing: Data(list.output.utf8)).arrayValue ?? []
            #expect(listed.count == 2)
            #expect(listed.contains { $0["key_id"]?.stringValue == keyID && $0["label"] == "ci" })

            let revoke = try await Self.run(
                ["keys", "revoke", "--tenant", t, "--key", keyID, "--reason", "test over"], fixture: fixture)
            #expect(revoke.exitCode == 0, "\(revoke.errorOutput)")
            #expect(revoke.output.contains("revoked"))
            let refused = await caught(AuthenticationFailure.self) {
                try await fixture.authenticator().authenticate(masterKey: masterKey, clientIP: nil)
            }
            #expect(refused?.reason == .revoked)

            let disable = try await Self.run(["tenants", "disable", "--tenant", t], fixture: fixture)
            #expect(disable.exitCode == 0, "\(disable.errorOutput)")
            let disabled = await caught(AuthenticationFailure.self) {
                try await fixture.authenticator().authenticate(masterKey: tenant.masterKey, clientIP: nil)
            }
            #expect(disabled?.reason == .tenantDisabled)
        }
    }

    @Test func unknownTenantOrKeyExitsOneWithAClearMessage() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let nobody = UUID().uuidString.lowercased()
            let create = try await Self.run(["keys", "create", "--tenant", nobody], fixture: fixture)
            #expect(create.exitCode == 1)
            #expect(create.errorOutput.contains("no tenant with id \(nobody)"))
            #expect(!create.output.contains("odmk_"))

            let revoke = try await Self.run(
                ["keys", "revoke", "--tenant", tenant.tenantID.uuidString, "--key", UUID().uuidString], fixture: fixture)
            #expect(revoke.exitCode == 1)
            #expect(revoke.errorOutput.contains("has no key with id"))

            let disable = try await Self.run(["tenants", "disable", "--tenant", nobody], fixture: fixture)
            #expect(disable.exitCode == 1)
            #expect(disable.errorOutput.contains("no tenant with id"))

            let malformed = try await Self.run(["keys", "list", "--tenant", "not-a-uuid"], fixture: fixture)
            #expect(malformed.exitCode != 0)
            #expect(malformed.errorOutput.contains("--tenant must be a uuid"))
        }
    }
}
