import Foundation
import JSON
import OrderDesk
import Postgres
import TestSupport
import Testing

@testable import App

/// Updates serialized across replicas by the update lease, optimistic concurrency, conflict retries,
/// no database connection held while OrderDesk answers.
@Suite(.serialized) struct OrderUpdateTests {
    @Test func twentyConcurrentUpdatesFromTwoReplicasLoseNothing() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            let notesBefore = try await h.simulator.order(id)["order_notes"]?.arrayValue?.count ?? 0
            try await h.simulator.reset()
            try await h.withSecondReplica { replica2 in
                let services = [h.service, replica2.service]
                let started = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<20 {
                        let service = services[index % 2]
                        group.addTask {
                            _ = try await service.update(
                                tenantID: h.tenantID, store: h.store, orderID: id,
                                changes: [
                                    "order_notes": [["content": .string("note \(index)")]],
                                    "checkout_data": ["field_\(index)": .string("value \(index)")],
                                ],
                                expectedDateUpdated: nil)
                        }
                    }
                    try await group.waitForAll()
                }
                let elapsed = ContinuousClock.now - started
                // Serialized: exactly one GET and one PUT per update, no 409 retry was needed.
                let puts = try await h.upstream("PUT", "/orders/\(id)")
                let gets = try await h.upstream("GET", "/orders/\(id)")
                #expect(puts == 20)
                #expect(gets == 20)
                print("20 concurrent updates over 2 replicas: \(puts) PUTs, \(gets) GETs, \(elapsed)")
                let order = try await h.simulator.order(id)
                let notes = (order["order_notes"]?.arrayValue ?? []).compactMap { $0["content"]?.stringValue }
                #expect(notes.count == notesBefore + 20)
                for index in 0..<20 {
                    #expect(notes.contains("note \(index)"), "note \(index) was lost")
                    #expect(order["checkout_data"]?["field_\(index)"]?.stringValue == "value \(index)")
                }
            }
        }
    }

    /// The lease is confirmed right before the PUT: when another update took the order over while
    /// this one waited for OrderDesk (its lease expired, a replica stalled), nothing is written and
    /// the other update's lease is left alone.
    @Test func anUpdateWhoseLeaseWasTakenOverWritesNothing() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            try await h.simulator.reset()
            try await h.simulator.injectFault(method: "GET", path: "/orders/\(id)", count: 1, delayMilliseconds: 1_500)
            let update = Task {
                try await h.service.update(
                    tenantID: h.tenantID, store: h.store, orderID: id, changes: ["email": "late@example.com"],
                    expectedDateUpdated: nil)
            }
            let leases: @Sendable () async throws -> Int = {
                try await h.fixture.asSuperuser { tx in
                    try tx.query("SELECT count(*)::int AS n FROM orderdesk.order_update_leases")[0].decode(Int.self, "n")
                }
            }
            try await poll(until: "the update holds its lease") { try await leases() == 1 }
            // Another holder takes it over while the GET is still on its way.
            let other = UUID()
            _ = try await h.fixture.asSuperuser { tx in
                try tx.query("UPDATE orderdesk.order_update_leases SET holder = \(other) RETURNING 1")
            }
            let error = await orderServiceError { _ = try await update.value }
            #expect(error?.code == .conflict)
            #expect(try await h.upstream("PUT", "/orders/\(id)") == 0)
            let holders = try await h.fixture.asSuperuser { tx in
                try tx.query("SELECT holder FROM orderdesk.order_update_leases").map { try $0.decode(UUID.self, "holder") }
            }
            #expect(holders == [other])
        }
    }

    @Test func expectedDateUpdatedMismatchIsAConflictAndSendsNoPut() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            let current = try await h.simulator.order(id)["date_updated"]?.stringValue
            let error = await orderServiceError {
                try await h.service.update(
                    tenantID: h.tenantID, store: h.store, orderID: id, changes: ["email": "x@example.com"],
                    expectedDateUpdated: "2000-01-01 00:00:00")
            }
            #expect(error?.code == .conflict)
            #expect(error?.currentDateUpdated == current)
            #expect(error?.currentDateUpdated != nil)
            #expect(try await h.upstream("PUT", "*") == 0)
            // With the current value the update goes through.
            let updated = try await h.service.update(
                tenantID: h.tenantID, store: h.store, orderID: id, changes: ["email": "x@example.com"],
                expectedDateUpdated: current)
            #expect(updated["email"]?.stringValue == "x@example.com")
            #expect(try await h.upstream("PUT", "*") == 1)
        }
    }

    @Test func conflictsOnPutAreRetriedByRefetching() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            try await h.simulator.injectFault(method: "PUT", path: "/orders/*", count: 2, conflictOnPut: true)
            let updated = try await h.service.update(
                tenantID: h.tenantID, store: h.store, orderID: id, changes: ["shipping": ["city": "Boston"]],
                expectedDateUpdated: nil)
            #expect(updated["shipping"]?["city"]?.stringValue == "Boston")
            // Siblings of the changed field survive the merge.
            #expect(updated["shipping"]?["first_name"]?.stringValue?.isEmpty == false)
            let puts = try await h.upstream("PUT", "/orders/\(id)")
            #expect(puts == 3)
            #expect(try await h.upstream("GET", "/orders/\(id)") == 3)
            print("update with two injected 409s: \(puts) PUTs (\(puts - 1) conflict retries)")
        }
    }

    @Test func anUpdateHeldUpPastTheLockTimeoutIsAConflict() async throws {
        var configuration = OrdersHarness.testConfiguration
        configuration.updateLockTimeout = .milliseconds(200)
        try await OrdersHarness.run(configuration: configuration) { h in
            let id = try await h.orderIDs(1)[0]
            let other = h.fixture.secondReplica(poolSize: 1)
            let leases = OrderUpdateLeases(database: other, duration: .seconds(60))
            // Another replica is in the middle of updating this order.
            let error = try await leases.withLease(
                tenantID: h.tenantID, storeID: h.store.id, orderID: id, timeout: .seconds(1)
            ) { _ in
                let started = ContinuousClock.now
                let error = await orderServiceError {
                    try await h.service.update(
                        tenantID: h.tenantID, store: h.store, orderID: id, changes: ["email": "late@example.com"],
                        expectedDateUpdated: nil)
                }
                #expect(ContinuousClock.now - started >= .milliseconds(200))
                return error
            }
            await other.shutdown()
            #expect(error?.code == .conflict)
            #expect(error?.retryAfterSeconds != nil)
            #expect(try await h.upstream("*", "/orders/\(id)") == 0)
            // Once it is released, the update runs.
            let updated = try await h.service.update(
                tenantID: h.tenantID, store: h.store, orderID: id, changes: ["email": "late@example.com"],
                expectedDateUpdated: nil)
            #expect(updated["email"]?.stringValue == "late@example.com")
        }
    }

    /// The defect this design fixes: updates waiting for a slow OrderDesk used to keep a database
    /// connection each (a session-level advisory lock), so a few of them took every lock connection
    /// and the next update of any order, any tenant, failed. Now six hanging updates on a
    /// two-connection pool leave the pool free, and an update of another order goes straight through.
    @Test func updatesWaitingForOrderDeskHoldNoDatabaseConnection() async throws {
        var configuration = OrdersHarness.testConfiguration
        configuration.upstreamConcurrencyPerTenant = 8
        configuration.updateLockTimeout = .seconds(1)
        try await OrdersHarness.run(configuration: configuration) { h in
            let ids = try await h.orderIDs(7)
            let (slow, quick) = (Array(ids[0..<6]), ids[6])
            for id in slow {
                try await h.simulator.injectFault(method: "GET", path: "/orders/\(id)", count: 1, delayMilliseconds: 2_000)
            }
            let database = h.fixture.secondReplica(poolSize: 2)
            // More transfer threads than updates: the test is about the database, not the client.
            let replica = OrdersHarness.makeReplica(
                database: database, simulator: h.simulator, configuration: configuration, maxConnections: 10)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in slow {
                    group.addTask {
                        _ = try await replica.service.update(
                            tenantID: h.tenantID, store: h.store, orderID: id, changes: ["email": "slow@example.com"],
                            expectedDateUpdated: nil)
                    }
                }
                try await poll(until: "all six are waiting for OrderDesk") {
                    await replica.service.upstreamSlots.occupancy(h.tenantID).running == 6
                }
                let stats = await database.poolStatistics()
                #expect(stats.open == stats.idle, "connections held while OrderDesk answers: \(stats)")
                let started = ContinuousClock.now
                let updated = try await replica.service.update(
                    tenantID: h.tenantID, store: h.store, orderID: quick, changes: ["email": "quick@example.com"],
                    expectedDateUpdated: nil)
                let took = ContinuousClock.now - started
                #expect(updated["email"]?.stringValue == "quick@example.com")
                #expect(took < .seconds(1), "an update of another order waited \(took) behind the slow ones")
                try await group.waitForAll()
            }
            await replica.shutdown()
            #expect(try await h.upstream("PUT", "*") == 7)
        }
    }

    @Test func deleteInvalidatesAndTheOrderIsGone() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            _ = try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            _ = try await h.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 50))
            try await h.service.delete(tenantID: h.tenantID, store: h.store, orderID: id)
            #expect(try await h.cacheRows(scope: "order") == 0)
            #expect(try await h.cacheRows(scope: "order_list") == 0)
            let error = await caught(OrderDeskError.self) {
                try await h.service.get(tenantID: h.tenantID, store: h.store, orderID: id)
            }
            #expect(error?.code == .notFound)
            let list = try await h.service.list(tenantID: h.tenantID, store: h.store, query: OrderQuery(limit: 50))
            #expect(list.cached == false)
            #expect(list.page["orders"]?.arrayValue?.contains { $0["id"]?.lenientString == id } == false)
        }
    }

    @Test func upstreamErrorsPassThroughUnchanged() async throws {
        try await OrdersHarness.run { h in
            let id = try await h.orderIDs(1)[0]
            let missing = await caught(OrderDeskError.self) {
                try await h.service.update(
                    tenantID: h.tenantID, store: h.store, orderID: "999999999", changes: ["email": "a@example.com"],
                    expectedDateUpdated: nil)
            }
            #expect(missing?.code == .notFound)
            let invalid = await caught(OrderDeskError.self) {
                try await h.service.update(
                    tenantID: h.tenantID, store: h.store, orderID: id,
                    changes: ["order_total": 1], expectedDateUpdated: nil)
            }
            #expect(invalid?.code == .validation)
            #expect(try await h.upstream("PUT", "*") == 0)
        }
    }
}
