import App
import Cryptography
import Foundation
import JSON
import Postgres
import TestSupport
import Testing

@Suite(.serialized) struct SessionStoreTests {
    @Test func unboundSessionIsCreatedFoundBoundGivenAStoreAndEnded() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let store = try await insertStore(tenant.tenantID, storeID: "1001", in: fixture)
            let sessions = SessionStore(database: fixture.database)

            let created = try await sessions.create(
                tenantID: nil, protocolVersion: "2025-06-18", clientInfo: ["name": "test-client", "version": "1.0"])
            #expect(created.id.count == 43)
            #expect(created.tenantID == nil)
            let found = try await sessions.find(id: created.id)
            #expect(found == created)

            let bound = try await sessions.bind(id: created.id, to: tenant.tenantID)
            #expect(bound.tenantID == tenant.tenantID)
            #expect(bound.protocolVersion == "2025-06-18")
            // Binding again to the same tenant is a no-op.
            #expect(try await sessions.bind(id: created.id, to: tenant.tenantID) == bound)
            #expect(try await sessions.find(id: created.id)?.tenantID == tenant.tenantID)

            let withStore = try await sessions.setActiveStore(id: created.id, tenantID: tenant.tenantID, storeID: store)
            #expect(withStore.activeStoreID == store)
            #expect(try await sessions.find(id: created.id)?.activeStoreID == store)
            let cleared = try await sessions.setActiveStore(id: created.id, tenantID: tenant.tenantID, storeID: nil)
            #expect(cleared.activeStoreID == nil)

            #expect(try await sessions.end(id: created.id, tenantID: tenant.tenantID))
            #expect(try await sessions.find(id: created.id) == nil)
            #expect(try await sessions.end(id: created.id, tenantID: tenant.tenantID) == false)
        }
    }

    @Test func findReturnsTheActiveStoresRegistrationUntilItIsRemoved() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let store = try await insertStore(tenant.tenantID, storeID: "1001", in: fixture)
            _ = try await insertStore(tenant.tenantID, storeID: "1002", in: fixture)
            let sessions = SessionStore(database: fixture.database)
            let created = try await sessions.create(tenantID: tenant.tenantID, protocolVersion: "2025-11-25", clientInfo: [:])
            #expect(try await sessions.find(id: created.id)?.activeStore == nil)

            _ = try await sessions.setActiveStore(id: created.id, tenantID: tenant.tenantID, storeID: store)
            for expected in [nil, tenant.tenantID] {
                let active = try #require(try await sessions.find(id: created.id, expectedTenant: expected)?.activeStore)
                #expect(active.id == store)
                #expect(active.storeID == "1001")
                #expect(active.name == "Store 1001")
                #expect(active.label == nil)
            }

            try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.execute("DELETE FROM orderdesk.stores WHERE id = \(store)")
            }
            let after = try #require(try await sessions.find(id: created.id))
            #expect(after.activeStoreID == nil)
            #expect(after.activeStore == nil)
        }
    }

    @Test func sessionCreatedWithATenantIsBoundAndAnUnboundOneCanBeEndedWithoutAKey() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let sessions = SessionStore(database: fixture.database)
            let bound = try await sessions.create(tenantID: tenant.tenantID, protocolVersion: "2025-11-25", clientInfo: nil)
            #expect(try await sessions.find(id: bound.id) == bound)
            // Without the tenant, a bound session cannot be ended.
            #expect(try await sessions.end(id: bound.id, tenantID: nil) == false)
            #expect(try await sessions.find(id: bound.id) != nil)

            let unbound = try await sessions.create(tenantID: nil, protocolVersion: "2025-03-26", clientInfo: nil)
            #expect(try await sessions.end(id: unbound.id, tenantID: nil))
            let again = try await sessions.create(tenantID: nil, protocolVersion: "2025-03-26", clientInfo: nil)
            // A keyed caller may end an unbound session too (anyone holding its id could).
            #expect(try await sessions.end(id: again.id, tenantID: tenant.tenantID))
        }
    }

    @Test func sessionOfOneTenantIsRefusedToAnother() async throws {
        try await AppFixture.run { fixture in
            let a = try await fixture.createTenant()
            let b = try await fixture.createTenant()
            let storeOfB = try await insertStore(b.tenantID, storeID: "2002", in: fixture)
            let sessions = SessionStore(database: fixture.database)
            let session = try await sessions.create(tenantID: nil, protocolVersion: "2025-06-18", clientInfo: nil)
            _ = try await sessions.bind(id: session.id, to: a.tenantID)

            let steal = await caught(SessionError.self) { try await sessions.bind(id: session.id, to: b.tenantID) }
            #expect(steal?.reason == .boundToAnotherTenant)
            let store = await caught(SessionError.self) {
                try await sessions.setActiveStore(id: session.id, tenantID: b.tenantID, storeID: storeOfB)
            }
            #expect(store?.reason == .boundToAnotherTenant)
            // A's session cannot point at B's store.
            let foreignStore = await caught(StoreError.self) {
                try await sessions.setActiveStore(id: session.id, tenantID: a.tenantID, storeID: storeOfB)
            }
            #expect(foreignStore?.code == .notFound)
            #expect(try await sessions.end(id: session.id, tenantID: b.tenantID) == false)
            #expect(try await sessions.find(id: session.id)?.tenantID == a.tenantID)

            let unknown = "A" + String(repeating: "b", count: 42)
            #expect(await caught(SessionError.self) { try await sessions.bind(id: unknown, to: a.tenantID) }?.reason == .notFound)
            #expect(await caught(SessionError.self) { try await sessions.bind(id: "junk", to: a.tenantID) }?.reason == .notFound)
            #expect(try await sessions.find(id: unknown) == nil)
            #expect(try await sessions.find(id: "not a session id") == nil)
        }
    }

    @Test func idleSessionExpiresAndUseKeepsItAlive() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            // 60 min idle timeout: a read pushes the expiry forward once the last push is 1 min old.
            let sessions = SessionStore(database: fixture.database, idleTimeout: .seconds(3_600))
            let idle = try await sessions.create(tenantID: tenant.tenantID, protocolVersion: "2025-06-18", clientInfo: nil)
            let used = try await sessions.create(tenantID: nil, protocolVersion: "2025-06-18", clientInfo: nil)
            // 40 min later one session is read, which pushes its expiry to 60 min from then; 40 min after
            // that the other is 20 min past its expiry and the read one has 20 min left.
            try await ageSessions(in: fixture, by: .seconds(2_400))
            #expect(try await sessions.find(id: used.id) != nil)
            try await ageSessions(in: fixture, by: .seconds(2_400))
            #expect(try await sessions.find(id: idle.id) == nil)
            #expect(
                await caught(SessionError.self) { try await sessions.bind(id: idle.id, to: tenant.tenantID) }?.reason == .notFound
            )
            #expect(try await sessions.find(id: used.id) != nil)
        }
    }

    @Test func sessionOfADisabledTenantIsNotFound() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let sessions = SessionStore(database: fixture.database)
            let session = try await sessions.create(tenantID: tenant.tenantID, protocolVersion: "2025-06-18", clientInfo: nil)
            _ = try await fixture.keys.disableTenant(tenantID: tenant.tenantID)
            #expect(try await sessions.find(id: session.id) == nil)
        }
    }

    /// The Bearer fast path (the tenant is known): same answers as `find(id:)` in every case.
    @Test func findingWithAnExpectedTenantAnswersLikeAPlainFind() async throws {
        try await AppFixture.run { fixture in
            let a = try await fixture.createTenant()
            let b = try await fixture.createTenant()
            let sessions = SessionStore(database: fixture.database)
            let ofA = try await sessions.create(tenantID: a.tenantID, protocolVersion: "2025-06-18", clientInfo: nil)
            let unbound = try await sessions.create(tenantID: nil, protocolVersion: "2025-06-18", clientInfo: nil)
            // A's own session, directly.
            #expect(try await sessions.find(id: ofA.id, expectedTenant: a.tenantID)?.tenantID == a.tenantID)
            // B asking for A's session learns it is A's (the endpoint then answers 403), as find(id:) says.
            #expect(try await sessions.find(id: ofA.id, expectedTenant: b.tenantID)?.tenantID == a.tenantID)
            // An unbound session is found unbound (the endpoint binds it).
            let found = try await sessions.find(id: unbound.id, expectedTenant: a.tenantID)
            #expect(found != nil && found?.tenantID == nil)
            #expect(try await sessions.find(id: "A" + String(repeating: "c", count: 42), expectedTenant: a.tenantID) == nil)
            #expect(try await sessions.find(id: "junk", expectedTenant: a.tenantID) == nil)
            // A disabled tenant's session is gone on both paths.
            _ = try await fixture.keys.disableTenant(tenantID: a.tenantID)
            #expect(try await sessions.find(id: ofA.id, expectedTenant: a.tenantID) == nil)
            #expect(try await sessions.find(id: ofA.id) == nil)
        }
    }

    @Test func sessionIDIsNeverStored() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let sessions = SessionStore(database: fixture.database)
            let bound = try await sessions.create(
                tenantID: tenant.tenantID, protocolVersion: "2025-06-18", clientInfo: ["name": "c", "version": "1"])
            let unbound = try await sessions.create(tenantID: nil, protocolVersion: "2025-06-18", clientInfo: nil)
            _ = try await sessions.find(id: bound.id)
            let rows = try await fixture.asSuperuser { tx in
                try tx.query(
                    "SELECT encode(id_hash, 'hex') AS hash, row_to_json(s)::text AS line FROM orderdesk.sessions AS s"
                ).map { (try $0.decode(String.self, "hash"), try $0.decode(String.self, "line")) }
            }
            #expect(rows.count == 2)
            for session in [bound, unbound] {
                #expect(rows.contains { $0.0 == session.idHashHex })
                #expect(session.idHashHex == SHA256.hexDigest(session.id))
                for (_, line) in rows {
                    #expect(!line.contains(session.id))
                    // Nor its base64 or hex forms.
                    #expect(!line.contains(Array(session.id.utf8).hexString))
                }
            }
        }
    }

    @Test func largeClientInfoIsCutDown() async throws {
        try await AppFixture.run { fixture in
            let sessions = SessionStore(database: fixture.database)
            let huge: JSONValue = ["name": "client", "version": "2", "blob": .string(String(repeating: "x", count: 10_000))]
            _ = try await sessions.create(tenantID: nil, protocolVersion: "2025-06-18", clientInfo: huge)
            let stored = try await fixture.asSuperuser { tx in
                try tx.query("SELECT client_info FROM orderdesk.sessions")[0].decode(JSONValue.self, "client_info")
            }
            #expect(stored == ["name": "client", "version": "2", "truncated": true])
        }
    }

    @Test func idleTimeoutComesFromTheEnvironment() throws {
        #expect(try SessionStore.idleTimeout(reader: EnvironmentReader([:])) == .seconds(86_400))
        #expect(
            try SessionStore.idleTimeout(reader: EnvironmentReader(["SESSION_IDLE_TIMEOUT_SECONDS": "3600"])) == .seconds(3600))
        #expect(throws: ConfigurationError.self) {
            try SessionStore.idleTimeout(reader: EnvironmentReader(["SESSION_IDLE_TIMEOUT_SECONDS": "5"]))
        }
    }
}

/// Moves every session's times `elapsed` into the past, which to the store is the same as `elapsed`
/// passing: expiry is decided in SQL against Postgres's `now()`, which a test cannot move.
private func ageSessions(in fixture: AppFixture, by elapsed: Duration) async throws {
    let seconds = elapsed / .seconds(1)
    _ = try await fixture.asSuperuser { tx in
        try tx.execute(
            """
            UPDATE orderdesk.sessions
            SET created_at = created_at - make_interval(secs => \(seconds)),
                last_seen_at = last_seen_at - make_interval(secs => \(seconds)),
                expires_at = expires_at - make_interval(secs => \(seconds))
            """)
    }
}

/// A store row with placeholder ciphertext, for tests that need a store but not its credentials.
func insertStore(_ tenantID: UUID, storeID: String, in fixture: AppFixture) async throws -> UUID {
    let id = UUID()
    try await fixture.database.withTenantTransaction(tenantID) { tx in
        try tx.execute(
            """
            INSERT INTO orderdesk.stores (id, tenant_id, store_id, name, api_key_ciphertext, api_key_tag, api_key_nonce)
            VALUES (\(id), \(tenantID), \(storeID), \("Store " + storeID), \(SecureRandom.bytes(20)),
                    \(SecureRandom.bytes(16)), \(SecureRandom.bytes(12)))
            """)
    }
    return id
}
