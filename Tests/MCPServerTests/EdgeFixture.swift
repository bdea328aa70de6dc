import App
import Cryptography
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OrderDesk
import Postgres
import TestSupport

@testable import MCPServer

/// The real `/mcp` router, built from an environment the way `serve` builds it
/// (`MCPServerApplication.makeServices`, `makeRefusals`, `makeRouter`), with the services it owns.
///
/// Each server has its own in-memory limiters (unauthenticated admission, audit sampling), kept
/// across its `test` calls; a test about limits builds its own server so no other test spends them.
struct EdgeServer: Sendable {
    let configuration: ServerConfiguration
    let database: Database
    let hasher: KeyHasher
    let orderDesk: OrderDeskClient
    private let application: MCPServerApplication
    private let services: ServerServices
    private let refusals: AuthenticationRefusals

    /// Argon2 with tiny costs: these tests are about the edge, not about the key hash.
    static let cheapArgon2 = Argon2id(memoryKiB: 1024, iterations: 1)
    /// The one `ALLOWED_ORIGINS` entry of a test server.
    static let allowedOrigin = "https://desk.example"

    /// The settings of every test server, `overrides` on top. In process a request has no peer
    /// address, so every request of a server counts against one shared `unknown` bucket: the limits
    /// are far above what a test sends unless the test is about them.
    static func environment(databaseURL: String, _ overrides: [String: String]) -> [String: String] {
        let base: [String: String] = [
            "DATABASE_URL": databaseURL,
            "MASTER_KEY_PEPPER": Data(SecureRandom.bytes(32)).base64EncodedString(),
            "ENCRYPTION_KEY": Data(SecureRandom.bytes(32)).base64EncodedString(),
            // Nothing listens there: no tool these tests call goes to OrderDesk.
            "ORDERDESK_BASE_URL": "http://127.0.0.1:9",
            "ALLOWED_ORIGINS": allowedOrigin,
            "AUTH_FAILURES_PER_MINUTE": "1000",
            "UNAUTHENTICATED_PER_MINUTE": "100000",
            "UNAUTHENTICATED_BURST": "100000",
            "DB_POOL_SIZE": "2",
            "REPLICA_ID": "edge-tests",
        ]
        return base.merging(overrides) { $1 }
    }

    init(environment: [String: String]) throws {
        configuration = try ServerConfiguration(reader: EnvironmentReader(environment))
        var logger = Logger(label: "edge-tests")
        logger.logLevel = .critical
        application = MCPServerApplication(configuration: configuration, logger: logger, metrics: nil)
        database = Database(configuration: configuration.database, logger: logger)
        hasher = KeyHasher(threads: 1, parameters: Self.cheapArgon2)
        orderDesk = OrderDeskClient(configuration: configuration.orderDesk, logger: logger)
        services = application.makeServices(database: database, hasher: hasher, orderDesk: orderDesk)
        refusals = application.makeRefusals(services: services)
    }

    /// A server whose database is a port where nothing listens: every database call fails to connect.
    static func withUnreachableDatabase(_ overrides: [String: String] = [:]) throws -> EdgeServer {
        let url = "postgresql://127.0.0.1:1/orderdesk?user=orderdesk_app&connect_timeout=2"
        return try EdgeServer(
            environment: environment(databaseURL: url, ["DB_ACQUIRE_TIMEOUT_MS": "200"].merging(overrides) { $1 }))
    }

    /// Runs `body` against the real router in process (`Application.test(.router)`).
    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = Application(router: application.makeRouter(services: services, refusals: refusals))
        return try await app.test(.router, body)
    }

    func shutdown() async {
        await orderDesk.shutdown()
        await hasher.shutdown()
        await database.shutdown()
    }
}

/// A freshly migrated scratch database and an `EdgeServer` on it as the app role, torn down after
/// the test.
struct EdgeFixture: Sendable {
    let scratch: ScratchDatabase
    let server: EdgeServer

    static func run(_ settings: [String: String] = [:], _ body: (EdgeFixture) async throws -> Void) async throws {
        let scratch = try await TestDatabase.createMigrated()
        let server: EdgeServer
        do {
            server = try EdgeServer(environment: EdgeServer.environment(databaseURL: scratch.appURL, settings))
        } catch {
            try? await scratch.drop()
            throw error
        }
        let fixture = EdgeFixture(scratch: scratch, server: server)
        do {
            try await body(fixture)
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    private func tearDown() async {
        await server.shutdown()
        try? await scratch.drop()
    }

    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await server.test(body)
    }

    /// A tenant with its first (read+write) master key, made the way the CLI makes it.
    func createTenant() async throws -> TenantAdministration.CreatedTenant {
        try await TenantAdministration(
            database: server.database, pepper: server.configuration.pepper, hasher: server.hasher
        ).createTenant(name: "Edge \(UUID().uuidString.prefix(6))")
    }

    var keys: KeyAdministration {
        KeyAdministration(database: server.database, pepper: server.configuration.pepper, hasher: server.hasher)
    }

    /// Moves every session's expiry into the past, as if its idle timeout had run out.
    func expireAllSessions() async throws {
        try await scratch.asOwner { tx in
            try tx.execute(
                """
                UPDATE orderdesk.sessions
                SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'
                """)
        }
    }
}
