import App
import Cryptography
import Foundation
import JSON
import Postgres
import TestSupport
import Testing

/// Keys limited to some stores (`keys create --store`): made and listed by `KeyAdministration` and
/// the CLI, refused for stores the tenant has not registered, and carried by the principal through
/// `lookup_master_key`, the verified-key cache and session authentication.
@Suite(.serialized) struct StoreScopedKeyTests {
    /// A registration row for `storeID`, without OrderDesk (nothing here decrypts it).
    static func insertStore(_ storeID: String, name: String, tenantID: UUID, in database: Database) async throws {
        try await database.withTenantTransaction(tenantID) { tx in
            try tx.execute(
                """
                INSERT INTO orderdesk.stores (tenant_id, store_id, name, api_key_ciphertext, api_key_tag, api_key_nonce)
                VALUES (\(tenantID), \(storeID), \(name), \(SecureRandom.bytes(16)), \(SecureRandom.bytes(16)),
                        \(SecureRandom.bytes(12)))
                """)
        }
    }

    @Test func aKeyLimitedToRegisteredStoresIsListedAuditedAndAuthenticatedWithItsStores() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            for (id, name) in [("10001", "Main"), ("10002", "Outlet"), ("9", "Tiny")] {
                try await Self.insertStore(id, name: name, tenantID: tenant.tenantID, in: fixture.database)
            }
            let limited = try await fixture.keys.createKey(
                tenantID: tenant.tenantID, scopes: [.read], label: "outlet only", storeIDs: [" 10002 ", "9", "10002"])
            #expect(limited.storeIDs == ["9", "10002"], "trimmed, without repeats, in numeric order")
            let full = try await fixture.keys.createKey(tenantID: tenant.tenantID, scopes: [.write], label: nil)
            #expect(full.storeIDs == nil)

            let keys = try await fixture.keys.listKeys(tenantID: tenant.tenantID)
            #expect(keys.first { $0.keyID == limited.keyID }?.storeIDs == ["9", "10002"])
            #expect(keys.first { $0.keyID == full.keyID }?.storeIDs == nil)
            #expect(keys.first { $0.prefix == tenant.keyPrefix }?.storeIDs == nil, "the tenant's first key may use every store")

            let authenticator = fixture.authenticator()
            let principal = try await authenticator.authenticate(masterKey: limited.masterKey, clientIP: nil)
            #expect(principal.storeIDs == ["9", "10002"])
            #expect(principal.isStoreRestricted)
            #expect(principal.allowsStore("10002") && !principal.allowsStore("10001"))
            // The verified-key cache keeps the limit: the second request is not verified again.
            let again = try await authenticator.authenticate(masterKey: limited.masterKey, clientIP: nil)
            #expect(again == principal)
            #expect(authenticator.verificationCount == 1)
            let unlimited = try await authenticator.authenticate(masterKey: full.masterKey, clientIP: nil)
            #expect(unlimited.storeIDs == nil && !unlimited.isStoreRestricted && unlimited.allowsStore("10001"))

            let params = try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.query(
                    "SELECT params::text AS p FROM orderdesk.audit_log WHERE action = 'cli.keys.create' ORDER BY id"
                ).map { try $0.decode(String.self, "p") }
            }
            #expect(params.count == 2)
            #expect(
                params[0].contains("\"store_ids\": [\"9\", \"10002\"]") || params[0].contains("\"store_ids\":[\"9\",\"10002\"]"))
            #expect(params[1].contains("\"store_ids\": null") || params[1].contains("\"store_ids\":null"))
        }
    }

    @Test func aStoreTheTenantHasNotRegisteredOrAMalformedIdIsRefusedAndNoKeyIsMade() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let other = try await fixture.createTenant()
            try await Self.insertStore("10001", name: "Main", tenantID: tenant.tenantID, in: fixture.database)
            // Another tenant's store does not count.
            try await Self.insertStore("20002", name: "Theirs", tenantID: other.tenantID, in: fixture.database)
            let unregistered = await caught(AdministrationError.self) {
                try await fixture.keys.createKey(
                    tenantID: tenant.tenantID, scopes: [.read], label: nil, storeIDs: ["10001", "20002"])
            }
            #expect(unregistered?.code == .storeNotRegistered)
            #expect(unregistered?.message.contains("20002") == true)
            #expect(unregistered?.message.contains("its stores are 10001") == true)
            for bad in [[], ["abc"], ["12345678901234567890123"], ["-1"], ["١٢"]] {
                let refused = await caught(AdministrationError.self) {
                    try await fixture.keys.createKey(tenantID: tenant.tenantID, scopes: [.read], label: nil, storeIDs: bad)
                }
                #expect(refused?.code == .validation, "\(bad)")
            }
            let none = try await fixture.createTenant()
            let noStores = await caught(AdministrationError.self) {
                try await fixture.keys.createKey(tenantID: none.tenantID, scopes: [.read], label: nil, storeIDs: ["10001"])
            }
            #expect(noStores?.code == .storeNotRegistered)
            #expect(noStores?.message.contains("no stores yet") == true)
            #expect(try await fixture.keys.listKeys(tenantID: tenant.tenantID).count == 1, "only the tenant's first key")
        }
    }

    @Test func theSchemaRefusesAMalformedStoreList() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            for bad in ["{}", "{abc}", "{1,1}", "{{1},{2}}", "{1,NULL}"] {
                let refused = await caught(PostgresError.self) {
                    try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                        try tx.execute(
                            """
                            INSERT INTO orderdesk.master_key_metadata (tenant_id, fingerprint, key_hash, prefix, store_ids)
                            VALUES (\(tenant.tenantID), \(SecureRandom.bytes(32)), '$argon2id$x', 'odmk_abc', \(bad)::text[])
                            """)
                    }
                }
                #expect(refused != nil, "\(bad)")
            }
        }
    }

    @Test func aSessionAuthenticatedByALimitedKeyCarriesItsStores() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await Self.insertStore("10001", name: "Main", tenantID: tenant.tenantID, in: fixture.database)
            let limited = try await fixture.keys.createKey(
                tenantID: tenant.tenantID, scopes: [.write], label: nil, storeIDs: ["10001"])
            let principal = try await fixture.authenticator().authenticate(masterKey: limited.masterKey, clientIP: nil)
            let sessions = SessionStore(database: fixture.database)
            let session = try await sessions.create(tenantID: nil, protocolVersion: "2025-06-18", clientInfo: nil)
            _ = try await sessions.bind(id: session.id, to: tenant.tenantID)
            let binding = SessionKeyBinding(database: fixture.database)
            try await binding.attach(sessionID: session.id, principal: principal)
            let login = try await binding.login(sessionID: session.id, tenantID: tenant.tenantID)
            #expect(login == .active(principal))
            guard case .active(let bound) = login else { return }
            #expect(bound.storeIDs == ["10001"] && bound.scopes == [.read, .write])
        }
    }

    @Test func theCLIMakesAndListsLimitedKeysAndExitsOneForAnUnregisteredStore() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let t = tenant.tenantID.uuidString.lowercased()
            try await Self.insertStore("10001", name: "Main", tenantID: tenant.tenantID, in: fixture.database)
            try await Self.insertStore("10002", name: "Outlet", tenantID: tenant.tenantID, in: fixture.database)

            let create = try await KeysCommandTests.run(
                ["keys", "create", "--tenant", t, "--scope", "read", "--store", "10002", "--store", "10001", "--json"],
                fixture: fixture)
            #expect(create.exitCode == 0, "\(create.errorOutput)")
            let created = try JSONValue(parsing: Data(create.output.utf8))
            #expect(created["store_ids"] == ["10001", "10002"])
            let masterKey = try #require(created["master_key"]?.stringValue)
            let principal = try await fixture.authenticator().authenticate(masterKey: masterKey, clientIP: nil)
            #expect(principal.storeIDs == ["10001", "10002"] && principal.scopes == [.read])

            let text = try await KeysCommandTests.run(["keys", "create", "--tenant", t, "--store", "10001"], fixture: fixture)
            #expect(text.exitCode == 0, "\(text.errorOutput)")
            #expect(text.output.contains("stores:     10001"))

            let list = try await KeysCommandTests.run(["keys", "list", "--tenant", t], fixture: fixture)
            #expect(list.exitCode == 0, "\(list.errorOutput)")
            #expect(list.output.contains("stores:all"), "the tenant's first key: \(list.output)")
            #expect(list.output.contains("stores:10001,10002"))
            let json = try await KeysCommandTests.run(["keys", "list", "--tenant", t, "--json"], fixture: fixture)
            let rows = try JSONValue(parsing: Data(json.output.utf8)).arrayValue ?? []
            #expect(rows.map { $0["store_ids"] } == [.null, ["10001", "10002"], ["10001"]])

            let refused = try await KeysCommandTests.run(
                ["keys", "create", "--tenant", t, "--scope", "read", "--store", "10003"], fixture: fixture)
            #expect(refused.exitCode == 1)
            #expect(refused.errorOutput.contains("no registered store with OrderDesk store id 10003"))
            #expect(refused.errorOutput.contains("10001, 10002"))
            #expect(!refused.output.contains("odmk_"))
            let malformed = try await KeysCommandTests.run(
                ["keys", "create", "--tenant", t, "--store", "main"], fixture: fixture)
            #expect(malformed.exitCode == 1)
            #expect(malformed.errorOutput.contains("is not an OrderDesk store id"))
            #expect(try await fixture.keys.listKeys(tenantID: tenant.tenantID).count == 3)
        }
    }
}
