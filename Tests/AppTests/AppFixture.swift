import App
import Cryptography
import Foundation
import Postgres
import TestSupport

/// A freshly migrated scratch database, the app-role `Database` on it, a pepper and a (cheap)
/// argon2 hasher, torn down after the test.
struct AppFixture {
    let scratch: ScratchDatabase
    let database: Database
    let pepper: [UInt8]
    let hasher: KeyHasher

    /// Argon2 with tiny costs: the tests are about the flow, not the cost (which Cryptography tests).
    static let cheapArgon2 = Argon2id(memoryKiB: 1024, iterations: 1)

    static func run(poolSize: Int = 4, _ body: (AppFixture) async throws -> Void) async throws {
        let scratch = try await TestDatabase.createMigrated()
        let fixture = AppFixture(
            scratch: scratch, database: scratch.appDatabase(poolSize: poolSize), pepper: SecureRandom.bytes(32),
            hasher: KeyHasher(threads: 2, parameters: cheapArgon2))
        do {
            try await body(fixture)
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    private func tearDown() async {
        await hasher.shutdown()
        await database.shutdown()
        try? await scratch.drop()
    }

    /// A tenant with its first (read+write) master key, made the way the CLI makes it.
    func createTenant(_ name: String = "Tenant \(UUID().uuidString.prefix(6))") async throws
        -> TenantAdministration.CreatedTenant
    {
        try await TenantAdministration(database: database, pepper: pepper, hasher: hasher).createTenant(name: name)
    }

    var keys: KeyAdministration { KeyAdministration(database: database, pepper: pepper, hasher: hasher) }

    func authenticator(
        cacheTTL: Duration = .seconds(60), keyMemory: Duration = .seconds(86_400), keyMemoryEntries: Int = 10_000,
        failuresPerMinute: Int = 20, now: @escaping InstantSource = { .now }
    ) -> Authenticator {
        Authenticator(
            database: database, pepper: pepper, hasher: hasher,
            configuration: AuthenticationConfiguration(
                cacheTTL: cacheTTL, keyMemory: keyMemory, keyMemoryEntries: keyMemoryEntries,
                failuresPerIPPerMinute: failuresPerMinute),
            now: now)
    }

    /// A second pool on the same database: another replica, as far as Postgres can tell.
    func secondReplica(poolSize: Int = 4) -> Database {
        scratch.appDatabase(poolSize: poolSize)
    }

    /// Runs `query` as the cluster superuser (sees every row, bypassing row-level security), for
    /// checks on what is really stored.
    func asSuperuser<T: Sendable>(_ body: @escaping @Sendable (TenantTransaction) throws -> T) async throws -> T {
        try await scratch.asOwner(body)
    }
}
