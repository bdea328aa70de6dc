import App
import Cryptography
import Foundation
import JSON
import OrderDesk
import Postgres
import TestSupport

/// A migrated scratch database, a real `orderdesk-sim`, a tenant with the simulator's store
/// registered, and `OrderService`s on top: one per "replica" (each with its own database pool and
/// OrderDesk client, as separate processes would have).
struct OrdersHarness {
    let fixture: AppFixture
    let simulator: SimulatorProcess
    let tenantID: UUID
    let store: RegisteredStore
    let primary: Replica

    /// One server process as far as Postgres and OrderDesk can tell.
    struct Replica {
        let database: Database
        let client: OrderDeskClient
        let registry: StoreRegistry
        let service: OrderService

        func shutdown() async {
            await client.shutdown()
            await database.shutdown()
        }
    }

    var service: OrderService { primary.service }
    var database: Database { fixture.database }

    /// Generous bucket, caching on: tests that are about the bucket or TTLs pass their own.
    static let testConfiguration = OrderServiceConfiguration(
        orderTTL: .seconds(30), listTTL: .seconds(30), upstreamBurst: 1_000, upstreamPerSecond: 1_000,
        upstreamMaxWait: .seconds(2), updateLockTimeout: .seconds(20))

    static let keyring = try! EncryptionKeyring(keys: [1: SecureRandom.bytes(32)], current: 1)

    static func run(
        configuration: OrderServiceConfiguration = testConfiguration, orders: Int = 12,
        stores: [SimulatorProcess.Store] = [.standard],
        _ body: (OrdersHarness) async throws -> Void
    ) async throws {
        try await AppFixture.run(poolSize: 6) { fixture in
            let simulator = try await SimulatorProcess.launch(stores: stores, orders: orders, rateLimited: false)
            defer { simulator.stop() }
            let primary = makeReplica(database: fixture.database, simulator: simulator, configuration: configuration)
            do {
                let tenant = try await fixture.createTenant()
                let standard = stores[0]
                let store = try await primary.registry.register(
                    tenantID: tenant.tenantID, storeID: standard.id, apiKey: standard.apiKey, name: "Main", label: nil)
                // Scenarios count only their own upstream requests.
                try await simulator.reset()
                try await body(
                    OrdersHarness(
                        fixture: fixture, simulator: simulator, tenantID: tenant.tenantID, store: store, primary: primary))
            } catch {
                await primary.client.shutdown()
                throw error
            }
            await primary.client.shutdown()
        }
    }

    static func makeReplica(
        database: Database, simulator: SimulatorProcess, configuration: OrderServiceConfiguration,
        maxConnections: Int = 4
    ) -> Replica {
        let client = OrderDeskClient(
            configuration: OrderDeskConfiguration(
                baseURL: simulator.baseURL.absoluteString, connectTimeout: .seconds(2), timeout: .seconds(10),
                retry: RetryPolicy(maxRetries: 2, baseDelay: .milliseconds(20), maxDelay: .milliseconds(100), jitter: 0),
                conflictRetry: RetryPolicy(
                    maxRetries: 5, baseDelay: .milliseconds(20), maxDelay: .milliseconds(200), jitter: 0),
                maxConnections: maxConnections))
        let registry = StoreRegistry(database: database, keyring: keyring, orderDesk: client)
        return Replica(
            database: database, client: client, registry: registry,
            service: OrderService(database: database, stores: registry, orderDesk: client, configuration: configuration))
    }

    /// Runs `body` with a second replica: its own database pool and OrderDesk client.
    func withSecondReplica(
        configuration: OrderServiceConfiguration = testConfiguration, _ body: (Replica) async throws -> Void
    ) async throws {
        let replica = Self.makeReplica(
            database: fixture.secondReplica(poolSize: 6), simulator: simulator, configuration: configuration)
        do {
            try await body(replica)
        } catch {
            await replica.shutdown()
            throw error
        }
        await replica.shutdown()
    }

    /// An `OrderService` with another configuration on the primary replica's pool and client.
    func service(_ configuration: OrderServiceConfiguration) -> OrderService {
        OrderService(
            database: primary.database, stores: primary.registry, orderDesk: primary.client, configuration: configuration)
    }

    /// Ids of seeded orders, as OrderDesk lists them (newest first).
    func orderIDs(_ count: Int) async throws -> [String] {
        let reply = try await simulator.request("GET", "/orders?limit=\(count)")
        let ids = (reply.json?["orders"]?.arrayValue ?? []).compactMap { $0["id"]?.lenientString }
        guard ids.count == count else { throw TestSetupError("the simulator listed \(ids.count) orders, not \(count)") }
        try await simulator.reset()
        return ids
    }

    /// API requests the simulator answered since the last reset.
    func upstream(_ method: String, _ path: String) async throws -> Int {
        try await simulator.requestCount(method: method, path: path)
    }

    /// `cache_entries` rows of `scope` as the tenant sees them (through row-level security).
    func cacheRows(scope: String, tenantID: UUID? = nil) async throws -> Int {
        try await database.withTenantTransaction(tenantID ?? self.tenantID) { tx in
            try tx.query("SELECT count(*) AS n FROM orderdesk.cache_entries WHERE scope = \(scope)")[0].decode(Int.self, "n")
        }
    }

    /// A valid new order for the simulator.
    static func newOrder(_ tag: String) -> JSONValue {
        [
            "email": .string("\(tag)@example.com"),
            "shipping": [
                "first_name": "Ada", "last_name": .string("Lovelace \(tag)"), "address1": "1 Main St",
                "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US",
            ],
            "order_items": [["name": "Widget", "code": .string("W-\(tag)"), "price": 9.5, "quantity": 2]],
        ]
    }
}

/// Whether `body` throws an `OrderServiceError`, and which.
func orderServiceError<T>(_ body: () async throws -> T) async -> OrderServiceError? {
    await caught(OrderServiceError.self, body)
}
