import Foundation
import JSON
import OrderDesk
import Postgres
import TestSupport
import Testing

@testable import App

/// `orders_create` idempotency keys: one order per key and body, across retries and replicas.
@Suite(.serialized) struct OrderIdempotencyTests {
    @Test func retriesWithTheSameKeyCreateOneOrder() async throws {
        try await OrdersHarness.run { h in
            let order = OrdersHarness.newOrder("retry")
            var results: [(order: JSONValue, replayed: Bool)] = []
            for _ in 0..<3 {
                results.append(
                    try await h.service.create(tenantID: h.tenantID, store: h.store, order: order, idempotencyKey: "key-1"))
            }
            #expect(results.map(\.replayed) == [false, true, true])
            #expect(results.allSatisfy { $0.order == results[0].order })
            #expect(results[0].order["id"]?.lenientString != nil)
            #expect(try await h.upstream("POST", "/orders") == 1)
            // A new key is a new order.
            let another = try await h.service.create(
                tenantID: h.tenantID, store: h.store, order: OrdersHarness.newOrder("other"), idempotencyKey: "key-2")
            #expect(another.replayed == false)
            #expect(another.order["id"] != results[0].order["id"])
            #expect(try await h.upstream("POST", "/orders") == 2)
        }
    }

    @Test func concurrentRetriesOnTwoReplicasCreateOneOrder() async throws {
        try await OrdersHarness.run { h in
            // Slow creates, so the retries really overlap the first attempt.
            try await h.simulator.injectFault(method: "POST", path: "/orders", count: 5, delayMilliseconds: 300)
            let order = OrdersHarness.newOrder("concurrent")
            try await h.withSecondReplica { replica2 in
                let services = [h.service, replica2.service, h.service, replica2.service]
                let results = try await withThrowingTaskGroup(of: (order: JSONValue, replayed: Bool).self) { group in
                    for service in services {
                        group.addTask {
                            try await service.create(
                                tenantID: h.tenantID, store: h.store, order: order, idempotencyKey: "same-key")
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results.count == 4)
                #expect(results.filter { !$0.replayed }.count == 1)
                #expect(Set(results.map(\.order)).count == 1)
            }
            #expect(try await h.upstream("POST", "/orders") == 1)
        }
    }

    @Test func theSameKeyWithAnotherBodyIsRefused() async throws {
        try await OrdersHarness.run { h in
            _ = try await h.service.create(
                tenantID: h.tenantID, store: h.store, order: OrdersHarness.newOrder("first"), idempotencyKey: "k")
            let error = await orderServiceError {
                try await h.service.create(
                    tenantID: h.tenantID, store: h.store, order: OrdersHarness.newOrder("second"), idempotencyKey: "k")
            }
            #expect(error?.code == .idempotencyMismatch)
            #expect(try await h.upstream("POST", "/orders") == 1)
        }
    }

    @Test func aFailedCreateGivesTheKeyBack() async throws {
        try await OrdersHarness.run { h in
            try await h.simulator.injectFault(method: "POST", path: "/orders", count: 1, status: 400)
            let order = OrdersHarness.newOrder("fails-once")
            let failure = await caught(OrderDeskError.self) {
                try await h.service.create(tenantID: h.tenantID, store: h.store, order: order, idempotencyKey: "again")
            }
            #expect(failure?.code == .validation)
            let retried = try await h.service.create(tenantID: h.tenantID, store: h.store, order: order, idempotencyKey: "again")
            #expect(retried.replayed == false)
            #expect(try await h.upstream("POST", "/orders") == 2)
            let replay = try await h.service.create(tenantID: h.tenantID, store: h.store, order: order, idempotencyKey: "again")
            #expect(replay.replayed)
            #expect(replay.order == retried.order)
        }
    }

    @Test func anExpiredKeyCreatesAgain() async throws {
        var configuration = OrdersHarness.testConfiguration
        configuration.idempotencyTTL = .seconds(600)
        try await OrdersHarness.run(configuration: configuration) { h in
            let order = OrdersHarness.newOrder("expiring")
            let first = try await h.service.create(tenantID: h.tenantID, store: h.store, order: order, idempotencyKey: "short")
            // Replayed until the TTL has passed...
            try await h.ageIdempotencyKeys(by: .seconds(595))
            let replay = try await h.service.create(tenantID: h.tenantID, store: h.store, order: order, idempotencyKey: "short")
            #expect(replay.replayed && replay.order == first.order)
            // ...and created again after it.
            try await h.ageIdempotencyKeys(by: .seconds(10))
            let second = try await h.service.create(tenantID: h.tenantID, store: h.store, order: order, idempotencyKey: "short")
            #expect(!first.replayed && !second.replayed)
            #expect(first.order["id"] != second.order["id"])
            #expect(try await h.upstream("POST", "/orders") == 2)
            // ...and the sweeper removes expired keys.
            try await h.ageIdempotencyKeys(by: .seconds(605))
            #expect(try await h.service.sweepExpired() >= 1)
            let left = try await h.database.withTenantTransaction(h.tenantID) { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.order_idempotency_keys")[0].decode(Int.self, "n")
            }
            #expect(left == 0)
        }
    }

    @Test func createsWithoutAKeyAreNotDeduplicatedAndInvalidateLists() async throws {
        try await OrdersHarness.run { h in
            let before = try await h.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 1))
            let order = OrdersHarness.newOrder("nokey")
            let one = try await h.service.create(tenantID: h.tenantID, store: h.store, order: order, idempotencyKey: nil)
            let two = try await h.service.create(tenantID: h.tenantID, store: h.store, order: order, idempotencyKey: nil)
            #expect(one.order["id"] != two.order["id"])
            #expect(try await h.upstream("POST", "/orders") == 2)
            let after = try await h.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 1))
            #expect(after.cached == false)
            #expect(after.page["total_records"] != before.page["total_records"])
        }
    }

    @Test func keysAreKeptPerTenantAndStoreUnderRowLevelSecurity() async throws {
        try await OrdersHarness.run { h in
            _ = try await h.service.create(
                tenantID: h.tenantID, store: h.store, order: OrdersHarness.newOrder("rls"), idempotencyKey: "rls-key")
            let other = try await h.fixture.createTenant()
            let visible = try await h.database.withTenantTransaction(other.tenantID) { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.order_idempotency_keys")[0].decode(Int.self, "n")
            }
            #expect(visible == 0)
            let stored = try await h.fixture.asSuperuser { tx in
                try tx.query(
                    "SELECT count(*) AS n, bool_and(status = 'completed') AS done FROM orderdesk.order_idempotency_keys")[0]
            }
            #expect(try stored.decode(Int.self, "n") == 1)
            #expect(try stored.decode(Bool.self, "done"))
            // Writing a row for another tenant's store is refused by the composite foreign key / policy.
            let refused = await caught(PostgresError.self) {
                try await h.database.withTenantTransaction(other.tenantID) { tx in
                    try tx.execute(
                        """
                        INSERT INTO orderdesk.order_idempotency_keys
                            (tenant_id, store_id, key_hash, request_hash, status, attempt_id, lease_until, expires_at)
                        VALUES (\(other.tenantID), \(h.store.id), \(Array(repeating: UInt8(1), count: 32)),
                                \(Array(repeating: UInt8(2), count: 32)), 'pending', \(UUID()), now(), now())
                        """)
                }
            }
            #expect(refused?.sqlState == "23503")
        }
    }
}

extension OrdersHarness {
    /// Moves every idempotency key's times `elapsed` into the past, which to the service is the same
    /// as `elapsed` passing: expiry and leases are decided in SQL against Postgres's clock, which a
    /// test cannot move.
    fileprivate func ageIdempotencyKeys(by elapsed: Duration) async throws {
        let seconds = elapsed / .seconds(1)
        _ = try await fixture.asSuperuser { tx in
            try tx.execute(
                """
                UPDATE orderdesk.order_idempotency_keys
                SET created_at = created_at - make_interval(secs => \(seconds)),
                    lease_until = lease_until - make_interval(secs => \(seconds)),
                    expires_at = expires_at - make_interval(secs => \(seconds))
                """)
        }
    }
}
