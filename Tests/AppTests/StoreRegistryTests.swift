import App
import Cryptography
import Foundation
import OrderDesk
import Postgres
import TestSupport
import Testing

/// Stores against a real database and a real `orderdesk-sim` process.
@Suite(.serialized) struct StoreRegistryTests {
    struct Harness {
        let fixture: AppFixture
        let simulator: SimulatorProcess
        let registry: StoreRegistry
        let keyring: EncryptionKeyring
    }

    static func run(_ body: (Harness) async throws -> Void) async throws {
        try await AppFixture.run { fixture in
            let simulator = try await SimulatorProcess.launch(stores: [.standard, .second], orders: 3, rateLimited: false)
            defer { simulator.stop() }
            let client = OrderDeskClient(
                configuration: OrderDeskConfiguration(
                    baseURL: simulator.baseURL.absoluteString, connectTimeout: .seconds(2), timeout: .seconds(10),
                    retry: RetryPolicy(maxRetries: 1, baseDelay: .milliseconds(10), maxDelay: .milliseconds(20), jitter: 0),
                    maxConnections: 2))
            let keyring = try EncryptionKeyring(keys: [1: SecureRandom.bytes(32)], current: 1)
            let harness = Harness(
                fixture: fixture, simulator: simulator,
                registry: StoreRegistry(database: fixture.database, keyring: keyring, orderDesk: client), keyring: keyring)
            do {
                try await body(harness)
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
    }

    let standard = SimulatorProcess.Store.standard
    let second = SimulatorProcess.Store.second

    @Test func registeredStoreIsCheckedWithOrderDeskAndStoredEncrypted() async throws {
        try await Self.run { h in
            let tenant = try await h.fixture.createTenant()
            let store = try await h.registry.register(
                tenantID: tenant.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: "  Main  ", label: "EU shop")
            #expect(store.storeID == standard.id)
            #expect(store.name == "Main")
            #expect(store.label == "EU shop")
            #expect(try await h.simulator.requestCount(method: "GET", path: "/test") == 1)

            let credentials = try await h.registry.credentials(tenantID: tenant.tenantID, id: store.id)
            #expect(credentials == StoreCredentials(storeID: standard.id, apiKey: standard.apiKey))
            #expect(try await h.registry.list(tenantID: tenant.tenantID) == [store])

            // What the database holds: ciphertext only, under the current key version.
            let stored = try await h.fixture.asSuperuser { tx in
                try tx.query(
                    """
                    SELECT row_to_json(s)::text AS line, api_key_ciphertext, key_version
                    FROM orderdesk.stores AS s
                    """)[0]
            }
            #expect(try !stored.decode(String.self, "line").contains(standard.apiKey))
            #expect(try stored.decode([UInt8].self, "api_key_ciphertext") != Array(standard.apiKey.utf8))
            #expect(try stored.decode(Int.self, "key_version") == 1)

            // Default name.
            let unnamed = try await h.registry.register(
                tenantID: tenant.tenantID, storeID: second.id, apiKey: second.apiKey, name: nil, label: nil)
            #expect(unnamed.name == "Store \(second.id)")
            #expect(try await h.registry.list(tenantID: tenant.tenantID).map(\.name) == ["Main", "Store \(second.id)"])
        }
    }

    @Test func wrongAPIKeyIsInvalidCredentialsAndNothingIsSaved() async throws {
        try await Self.run { h in
            let tenant = try await h.fixture.createTenant()
            let badKey = "definitely-not-the-key-12345"
            let error = await caught(StoreError.self) {
                try await h.registry.register(
                    tenantID: tenant.tenantID, storeID: standard.id, apiKey: badKey, name: nil, label: nil)
            }
            #expect(error?.code == .invalidCredentials)
            #expect(error.map { !$0.message.contains(badKey) && !"\($0)".contains(badKey) } == true)
            #expect(try await h.registry.list(tenantID: tenant.tenantID).isEmpty)
        }
    }

    @Test func upstreamFailureIsReportedAndNothingIsSaved() async throws {
        try await Self.run { h in
            let tenant = try await h.fixture.createTenant()
            try await h.simulator.injectFault(path: "/test", count: 5, status: 503)
            let error = await caught(StoreError.self) {
                try await h.registry.register(
                    tenantID: tenant.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: nil, label: nil)
            }
            #expect(error?.code == .upstream)
            #expect(error?.upstream?.code == .upstreamUnavailable)
            #expect(error.map { !$0.message.contains(standard.apiKey) } == true)
            #expect(try await h.registry.list(tenantID: tenant.tenantID).isEmpty)
        }
    }

    @Test func duplicatesAreRefusedBeforeOrderDeskIsAsked() async throws {
        try await Self.run { h in
            let tenant = try await h.fixture.createTenant()
            _ = try await h.registry.register(
                tenantID: tenant.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: "Main", label: nil)
            let sameStore = await caught(StoreError.self) {
                try await h.registry.register(
                    tenantID: tenant.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: "Other", label: nil)
            }
            #expect(sameStore?.code == .duplicateStoreID)
            #expect(sameStore?.message.contains("Main") == true)
            let sameName = await caught(StoreError.self) {
                try await h.registry.register(
                    tenantID: tenant.tenantID, storeID: second.id, apiKey: second.apiKey, name: "MAIN", label: nil)
            }
            #expect(sameName?.code == .duplicateName)
            #expect(try await h.simulator.requestCount(method: "GET", path: "/test") == 1)
            // Another tenant may register the same OrderDesk store under the same name.
            let other = try await h.fixture.createTenant()
            _ = try await h.registry.register(
                tenantID: other.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: "Main", label: nil)
        }
    }

    @Test func invalidInputIsRefusedBeforeOrderDeskIsAsked() async throws {
        try await Self.run { h in
            let tenant = try await h.fixture.createTenant()
            let cases: [(storeID: String, apiKey: String, name: String?, label: String?)] = [
                ("abc", standard.apiKey, nil, nil),
                ("123456789012345678901", standard.apiKey, nil, nil),
                ("", standard.apiKey, nil, nil),
                (standard.id, "", nil, nil),
                (standard.id, "has space", nil, nil),
                (standard.id, String(repeating: "k", count: 201), nil, nil),
                (standard.id, standard.apiKey, String(repeating: "n", count: 101), nil),
                (standard.id, standard.apiKey, "line\nbreak", nil),
                (standard.id, standard.apiKey, "12345", nil),
                (standard.id, standard.apiKey, UUID().uuidString, nil),
                (standard.id, standard.apiKey, nil, String(repeating: "l", count: 201)),
            ]
            for input in cases {
                let error = await caught(StoreError.self) {
                    try await h.registry.register(
                        tenantID: tenant.tenantID, storeID: input.storeID, apiKey: input.apiKey, name: input.name,
                        label: input.label)
                }
                #expect(error?.code == .validation, "\(input.storeID) \(input.name ?? "-")")
                if !input.apiKey.isEmpty { #expect(error.map { !$0.message.contains(input.apiKey) } == true) }
            }
            #expect(try await h.simulator.requestCount(path: "/test") == 0)
        }
    }

    @Test func storesResolveByUUIDThenStoreIDThenNameAndCanBeDeleted() async throws {
        try await Self.run { h in
            let tenant = try await h.fixture.createTenant()
            let main = try await h.registry.register(
                tenantID: tenant.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: "Main", label: nil)
            let outlet = try await h.registry.register(
                tenantID: tenant.tenantID, storeID: second.id, apiKey: second.apiKey, name: "Outlet Store", label: nil)
            let t = tenant.tenantID

            let byUUID = try await h.registry.resolve(tenantID: t, identifier: main.id.uuidString)
            #expect(byUUID?.store == main && byUUID?.matchedBy == .id)
            let byLowerUUID = try await h.registry.resolve(tenantID: t, identifier: outlet.id.uuidString.lowercased())
            #expect(byLowerUUID?.store == outlet && byLowerUUID?.matchedBy == .id)
            let byStoreID = try await h.registry.resolve(tenantID: t, identifier: second.id)
            #expect(byStoreID?.store == outlet && byStoreID?.matchedBy == .id)
            let byName = try await h.registry.resolve(tenantID: t, identifier: " outlet STORE ")
            #expect(byName?.store == outlet && byName?.matchedBy == .name)
            #expect(try await h.registry.resolve(tenantID: t, identifier: "nothing") == nil)
            #expect(try await h.registry.resolve(tenantID: t, identifier: UUID().uuidString) == nil)
            #expect(try await h.registry.resolve(tenantID: t, identifier: "") == nil)

            #expect(try await h.registry.delete(tenantID: t, id: main.id))
            #expect(try await h.registry.delete(tenantID: t, id: main.id) == false)
            #expect(try await h.registry.list(tenantID: t) == [outlet])
            let gone = await caught(StoreError.self) { try await h.registry.credentials(tenantID: t, id: main.id) }
            #expect(gone?.code == .notFound)
        }
    }

    @Test func tenantCannotSeeResolveDeleteOrDecryptAnotherTenantsStore() async throws {
        try await Self.run { h in
            let a = try await h.fixture.createTenant()
            let b = try await h.fixture.createTenant()
            let store = try await h.registry.register(
                tenantID: a.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: "Main", label: nil)
            #expect(try await h.registry.list(tenantID: b.tenantID).isEmpty)
            for identifier in [store.id.uuidString, standard.id, "Main"] {
                #expect(try await h.registry.resolve(tenantID: b.tenantID, identifier: identifier) == nil)
            }
            #expect(try await h.registry.delete(tenantID: b.tenantID, id: store.id) == false)
            let stolen = await caught(StoreError.self) { try await h.registry.credentials(tenantID: b.tenantID, id: store.id) }
            #expect(stolen?.code == .notFound)
            #expect(try await h.registry.credentials(tenantID: a.tenantID, id: store.id).apiKey == standard.apiKey)
        }
    }

    @Test func ciphertextCopiedToAnotherRowDoesNotDecrypt() async throws {
        try await Self.run { h in
            let tenant = try await h.fixture.createTenant()
            let main = try await h.registry.register(
                tenantID: tenant.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: "Main", label: nil)
            let outlet = try await h.registry.register(
                tenantID: tenant.tenantID, storeID: second.id, apiKey: second.apiKey, name: "Outlet", label: nil)
            // Someone with write access to the table swaps the encrypted key into another row.
            try await h.fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.execute(
                    """
                    UPDATE orderdesk.stores AS target
                    SET api_key_ciphertext = source.api_key_ciphertext, api_key_tag = source.api_key_tag,
                        api_key_nonce = source.api_key_nonce
                    FROM orderdesk.stores AS source
                    WHERE target.id = \(outlet.id) AND source.id = \(main.id)
                    """)
            }
            await #expect(throws: CryptoError.authenticationFailed) {
                _ = try await h.registry.credentials(tenantID: tenant.tenantID, id: outlet.id)
            }
        }
    }
}
