import App
import Cryptography
import Foundation
import JSON
import Postgres
import TestSupport
import Testing

@Suite(.serialized) struct KeyAdministrationTests {
    @Test func keysAreCreatedListedAndRevokedWithAnAuditTrail() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let created = try await fixture.keys.createKey(tenantID: tenant.tenantID, scopes: [.read], label: " dashboards ")
            #expect(MasterKey.isWellFormed(created.masterKey))
            #expect(created.prefix == MasterKey.displayPrefix(created.masterKey))
            #expect(created.scopes == [.read])
            let full = try await fixture.keys.createKey(tenantID: tenant.tenantID, scopes: [.write], label: nil)
            #expect(full.scopes == [.read, .write])

            var keys = try await fixture.keys.listKeys(tenantID: tenant.tenantID)
            #expect(keys.count == 3)
            let listed = try #require(keys.first { $0.keyID == created.keyID })
            #expect(listed.prefix == created.prefix)
            #expect(listed.label == "dashboards")
            #expect(listed.scopes == [.read])
            #expect(listed.revokedAt == nil && listed.lastUsedAt == nil)

            #expect(try await fixture.keys.revokeKey(tenantID: tenant.tenantID, keyID: created.keyID, reason: "rotated"))
            #expect(try await fixture.keys.revokeKey(tenantID: tenant.tenantID, keyID: created.keyID, reason: nil) == false)
            keys = try await fixture.keys.listKeys(tenantID: tenant.tenantID)
            let revoked = try #require(keys.first { $0.keyID == created.keyID })
            #expect(revoked.revokedAt != nil)
            #expect(revoked.revokedReason == "rotated")
            let refused = await caught(AuthenticationFailure.self) {
                try await fixture.authenticator().authenticate(masterKey: created.masterKey, clientIP: nil)
            }
            #expect(refused?.reason == .revoked)

            let audit = try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.query(
                    "SELECT actor, action, params::text AS params FROM orderdesk.audit_log WHERE action LIKE 'cli.keys.%' ORDER BY id"
                ).map {
                    (
                        try $0.decode(String.self, "actor"), try $0.decode(String.self, "action"),
                        try $0.decode(String.self, "params")
                    )
                }
            }
            #expect(audit.map(\.1) == ["cli.keys.create", "cli.keys.create", "cli.keys.revoke"])
            #expect(audit.allSatisfy { $0.0 == "cli" })
            #expect(audit[0].2.contains(created.prefix))
            for (_, _, params) in audit {
                #expect(!params.contains(created.masterKey) && !params.contains(full.masterKey))
            }
        }
    }

    @Test func unknownTenantOrKeyIsAClearError() async throws {
        try await AppFixture.run { fixture in
            let a = try await fixture.createTenant()
            let b = try await fixture.createTenant()
            let nobody = UUID()
            let create = await caught(AdministrationError.self) {
                try await fixture.keys.createKey(tenantID: nobody, scopes: [.read], label: nil)
            }
            #expect(create?.code == .tenantNotFound)
            #expect(create?.message.contains(nobody.uuidString.lowercased()) == true)
            #expect(
                await caught(AdministrationError.self) { try await fixture.keys.listKeys(tenantID: nobody) }?.code
                    == .tenantNotFound)
            #expect(
                await caught(AdministrationError.self) { try await fixture.keys.disableTenant(tenantID: nobody) }?.code
                    == .tenantNotFound)
            let unknownKey = await caught(AdministrationError.self) {
                try await fixture.keys.revokeKey(tenantID: a.tenantID, keyID: UUID(), reason: nil)
            }
            #expect(unknownKey?.code == .keyNotFound)
            // B's key, named with A's tenant: not found (and not revoked).
            let keyOfB = try #require(try await fixture.keys.listKeys(tenantID: b.tenantID).first)
            let foreign = await caught(AdministrationError.self) {
                try await fixture.keys.revokeKey(tenantID: a.tenantID, keyID: keyOfB.keyID, reason: nil)
            }
            #expect(foreign?.code == .keyNotFound)
            #expect(try await fixture.keys.listKeys(tenantID: b.tenantID).first?.revokedAt == nil)
            let noScope = await caught(AdministrationError.self) {
                try await fixture.keys.createKey(tenantID: a.tenantID, scopes: [], label: nil)
            }
            #expect(noScope?.code == .validation)
        }
    }

    @Test func disabledTenantIsRecordedAndGetsNoNewKeys() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            #expect(try await fixture.keys.disableTenant(tenantID: tenant.tenantID))
            #expect(try await fixture.keys.disableTenant(tenantID: tenant.tenantID) == false)
            let refused = await caught(AuthenticationFailure.self) {
                try await fixture.authenticator().authenticate(masterKey: tenant.masterKey, clientIP: nil)
            }
            #expect(refused?.reason == .tenantDisabled)
            let newKey = await caught(AdministrationError.self) {
                try await fixture.keys.createKey(tenantID: tenant.tenantID, scopes: [.read], label: nil)
            }
            #expect(newKey?.code == .validation)
            let actions = try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.query("SELECT action FROM orderdesk.audit_log ORDER BY id").map { try $0.decode(String.self, "action") }
            }
            #expect(actions == ["cli.tenants.create", "cli.tenants.disable"])
        }
    }
}
