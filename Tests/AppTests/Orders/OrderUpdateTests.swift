import Foundation
import JSON
import OrderDesk
import Postgres
import TestSupport
import Testing

@testable import App

/// Updates serialized across replicas by the advisory lock, optimistic concurrency, conflict retries.
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
            let key = OrderLockKeys.update(tenantID: h.tenantID, storeID: h.store.id, orderID: id)
            let other = h.fixture.secondReplica(poolSize: 1)
            // Another replica is in the middle of updating this order.
            let error = try await other.withAdvisoryLock(key: key, timeout: .seconds(1)) {
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
