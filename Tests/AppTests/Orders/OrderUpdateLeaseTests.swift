import Foundation
import Postgres
import TestSupport
import Testing

@testable import App

/// `OrderUpdateLeases`: one holder per order across replicas, no connection held while holding,
/// bounded waits, a lost lease noticed before the write, nothing left behind.
@Suite(.serialized) struct OrderUpdateLeaseTests {
    /// Counts bodies running at once.
    actor Occupancy {
        private(set) var inside = 0
        private(set) var most = 0
        private(set) var entries = 0
        func enter() {
            inside += 1
            entries += 1
            most = max(most, inside)
        }
        func leave() { inside -= 1 }
    }

    /// A tenant with one registered store (leases reference the store), and the leases of `database`.
    struct Scenario {
        let fixture: AppFixture
        let tenantID: UUID
        let storeID: UUID

        func leases(_ database: Database, duration: Duration = .seconds(60)) -> OrderUpdateLeases {
            OrderUpdateLeases(database: database, duration: duration)
        }

        /// Lease rows of this scratch database, whatever the tenant (as superuser).
        /// Moves every lease's expiry into the past, as time passing would (Postgres's now() cannot be
        /// moved, so the rows are).
        func expireLeases() async throws {
            _ = try await fixture.asSuperuser { tx in
                try tx.query("UPDATE orderdesk.order_update_leases SET expires_at = now() - interval '1 second' RETURNING 1")
            }
        }

        func leaseRows() async throws -> Int {
            try await fixture.asSuperuser { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.order_update_leases")[0].decode(Int.self, "n")
            }
        }

        static func run(poolSize: Int = 3, _ body: (Scenario) async throws -> Void) async throws {
            try await AppFixture.run(poolSize: poolSize) { fixture in
                let tenant = try await fixture.createTenant()
                let storeID = UUID()
                try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                    try tx.execute(
                        """
                        INSERT INTO orderdesk.stores (id, tenant_id, store_id, name, api_key_ciphertext, api_key_tag,
                                                      api_key_nonce)
                        VALUES (\(storeID), \(tenant.tenantID), '4242', 'Lease store', \([UInt8](repeating: 1, count: 40)),
                                \([UInt8](repeating: 1, count: 16)), \([UInt8](repeating: 1, count: 12)))
                        """)
                }
                try await body(Scenario(fixture: fixture, tenantID: tenant.tenantID, storeID: storeID))
            }
        }
    }

    @Test func onlyOneHolderAtATimeAcrossTwoReplicas() async throws {
        try await Scenario.run { s in
            let other = s.fixture.secondReplica(poolSize: 3)
            let occupancy = Occupancy()
            let leases = [s.leases(s.fixture.database), s.leases(other)]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    let leases = leases[index % 2]
                    group.addTask {
                        try await leases.withLease(
                            tenantID: s.tenantID, storeID: s.storeID, orderID: "42", timeout: .seconds(20)
                        ) { _ in
                            await occupancy.enter()
                            try await Task.sleep(for: .milliseconds(10))
                            await occupancy.leave()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(await occupancy.entries == 16)
            #expect(await occupancy.most == 1)
            #expect(try await s.leaseRows() == 0)
            await other.shutdown()
        }
    }

    /// The point of leases: while an update holds one (and waits for OrderDesk), it holds no
    /// database connection, so even a one-connection pool serves everything else.
    @Test func aHolderKeepsNoDatabaseConnection() async throws {
        try await Scenario.run { s in
            let database = s.fixture.secondReplica(poolSize: 1)
            let leases = s.leases(database)
            let inner = try await leases.withLease(
                tenantID: s.tenantID, storeID: s.storeID, orderID: "1", timeout: .seconds(1)
            ) { _ in
                let stats = await database.poolStatistics()
                #expect(stats.open == stats.idle)
                // Other orders' leases and ordinary work go through on the only connection.
                return try await leases.withLease(
                    tenantID: s.tenantID, storeID: s.storeID, orderID: "2", timeout: .milliseconds(200)
                ) { _ in
                    try await database.withUnscopedTransaction { tx in
                        try tx.query("SELECT 1 AS one")[0].decode(Int.self, "one")
                    }
                }
            }
            #expect(inner == 1)
            #expect(try await s.leaseRows() == 0)
            await database.shutdown()
        }
    }

    @Test func aWaiterGivesUpAfterTheTimeoutWithAConflict() async throws {
        try await Scenario.run { s in
            let other = s.fixture.secondReplica(poolSize: 1)
            let error = try await s.leases(other).withLease(
                tenantID: s.tenantID, storeID: s.storeID, orderID: "7", timeout: .seconds(1)
            ) { _ in
                let started = ContinuousClock.now
                let error = await caught(OrderServiceError.self) {
                    try await s.leases(s.fixture.database).withLease(
                        tenantID: s.tenantID, storeID: s.storeID, orderID: "7", timeout: .milliseconds(150)
                    ) { _ in Issue.record("entered a held lease") }
                }
                let waited = ContinuousClock.now - started
                #expect(waited >= .milliseconds(150))
                #expect(waited < .seconds(1))
                return error
            }
            #expect(error?.code == .conflict)
            #expect(error?.retryAfterSeconds == 2)
            #expect(error.map { !"\($0)".contains("order_update_leases") } == true)
            #expect(try await s.leaseRows() == 0)
            await other.shutdown()
        }
    }

    /// A replica that died holding a lease: once the lease has expired, the next update takes it.
    @Test func anExpiredLeaseIsTakenOver() async throws {
        try await Scenario.run { s in
            let (tenant, store) = (s.tenantID, s.storeID)
            try await s.fixture.database.withTenantTransaction(tenant) { tx in
                try tx.execute(
                    """
                    INSERT INTO orderdesk.order_update_leases (tenant_id, store_id, order_id, holder, acquired_at, expires_at)
                    VALUES (\(tenant), \(store), '5', \(UUID()), now() - interval '2 minutes', now() - interval '1 second')
                    """)
            }
            let started = ContinuousClock.now
            let value = try await s.leases(s.fixture.database).withLease(
                tenantID: tenant, storeID: store, orderID: "5", timeout: .milliseconds(500)
            ) { _ in 5 }
            #expect(value == 5)
            #expect(ContinuousClock.now - started < .milliseconds(400))
            #expect(try await s.leaseRows() == 0)
        }
    }

    /// OrderDesk was slower than the lease: another update took the order meanwhile. `confirm()`
    /// says so before the write, and the late holder's release leaves the new holder's lease alone.
    @Test func aLostLeaseIsNoticedBeforeTheWrite() async throws {
        try await Scenario.run { s in
            let short = s.leases(s.fixture.database)
            let otherDatabase = s.fixture.secondReplica(poolSize: 1)
            let other = s.leases(otherDatabase)
            let (tenant, store) = (s.tenantID, s.storeID)
            let error = try await short.withLease(tenantID: tenant, storeID: store, orderID: "31", timeout: .seconds(1)) {
                lease in
                try await lease.confirm()  // still ours: extended
                try await s.expireLeases()
                // Expired, but nobody took it: still safe to write (no one else can have written).
                try await lease.confirm()
                try await s.expireLeases()
                // Now another update takes the expired lease and is still holding it.
                return try await other.withLease(tenantID: tenant, storeID: store, orderID: "31", timeout: .seconds(1)) {
                    _ in
                    let error = await caught(OrderServiceError.self) { try await lease.confirm() }
                    let rows = try await s.leaseRows()
                    #expect(rows == 1)
                    return error
                }
            }
            #expect(error?.code == .conflict)
            #expect(error?.retryAfterSeconds == 2)
            #expect(try await s.leaseRows() == 0)
            await otherDatabase.shutdown()
        }
    }

    @Test func aThrowingBodyStillReleases() async throws {
        struct Boom: Error {}
        try await Scenario.run { s in
            let leases = s.leases(s.fixture.database)
            let error = await caught(Boom.self) {
                try await leases.withLease(tenantID: s.tenantID, storeID: s.storeID, orderID: "9", timeout: .seconds(1)) {
                    _ in throw Boom()
                }
            }
            #expect(error != nil)
            #expect(try await s.leaseRows() == 0)
            let value = try await leases.withLease(
                tenantID: s.tenantID, storeID: s.storeID, orderID: "9", timeout: .milliseconds(50)
            ) { _ in 5 }
            #expect(value == 5)
        }
    }

    @Test func aCancelledHolderStillReleases() async throws {
        try await Scenario.run { s in
            let leases = s.leases(s.fixture.database)
            let (tenant, store) = (s.tenantID, s.storeID)
            let task = Task {
                try await leases.withLease(tenantID: tenant, storeID: store, orderID: "11", timeout: .seconds(1)) { _ in
                    try await Task.sleep(for: .seconds(30))
                }
            }
            try await poll(until: "the holder has its lease") { try await s.leaseRows() == 1 }
            task.cancel()
            _ = await task.result
            #expect(try await s.leaseRows() == 0)
        }
    }

    @Test func aCancelledWaiterStopsWaiting() async throws {
        try await Scenario.run { s in
            let leases = s.leases(s.fixture.database)
            let (tenant, store) = (s.tenantID, s.storeID)
            try await leases.withLease(tenantID: tenant, storeID: store, orderID: "12", timeout: .seconds(1)) { _ in
                let waiter = Task {
                    try await leases.withLease(tenantID: tenant, storeID: store, orderID: "12", timeout: .seconds(20)) {
                        _ in Issue.record("entered a held lease")
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
                let cancelled = ContinuousClock.now
                waiter.cancel()
                #expect(await waiter.result.isCancellation)
                #expect(ContinuousClock.now - cancelled < .milliseconds(500))
            }
            #expect(try await s.leaseRows() == 0)
        }
    }

    /// Leases are tenant data: another tenant neither sees nor takes them.
    @Test func anotherTenantDoesNotSeeTheLeases() async throws {
        try await Scenario.run { s in
            let leases = s.leases(s.fixture.database)
            let intruder = try await s.fixture.createTenant()
            try await leases.withLease(tenantID: s.tenantID, storeID: s.storeID, orderID: "13", timeout: .seconds(1)) { _ in
                let seen = try await s.fixture.database.withTenantTransaction(intruder.tenantID) { tx in
                    try tx.query("SELECT count(*) AS n FROM orderdesk.order_update_leases")[0].decode(Int.self, "n")
                }
                #expect(seen == 0)
                // A lease on this tenant's store is refused (the composite foreign key: the store is
                // not its own), not granted beside ours.
                let error = await caught(PostgresError.self) {
                    try await leases.withLease(
                        tenantID: intruder.tenantID, storeID: s.storeID, orderID: "13", timeout: .milliseconds(50)
                    ) { _ in Issue.record("another tenant took a lease on this tenant's store") }
                }
                #expect(error != nil)
            }
        }
    }
}

extension Result {
    fileprivate var isCancellation: Bool {
        if case .failure(let error) = self { return error is CancellationError }
        return false
    }
}
