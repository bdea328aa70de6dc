import Foundation
import JSON
import OrderDesk
import TestSupport
import Testing

/// Retries, backoff, deadlines and failure mapping against scripted simulator faults. Upstream call
/// counts come from the simulator's request log.
@Suite struct RetryBehaviourTests {
    @Test func rateLimitWithRetryAfterIsWaitedOutThenSucceeds() async throws {
        try await SimulatorHarness.run { harness in
            try await harness.simulator.injectFault(
                path: "/test", count: 1, status: 429, headers: ["X-Retry-After": "1"],
                body: #"{"status":"error","message":"Rate limit exceeded"}"#)
            let started = ContinuousClock.now
            let result = try await harness.api.testConnection()
            let elapsed = ContinuousClock.now - started
            #expect(result.message == "Connection Successful")
            #expect(elapsed >= .seconds(1))
            #expect(try await harness.upstreamCalls() == 2)
        }
    }

    @Test func threeServiceUnavailablesThenSuccessTakesFourCalls() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            try await harness.resetLog()
            try await harness.simulator.injectFault(method: "GET", path: "/orders/*", count: 3, status: 503)
            let order = try await harness.api.getOrder(id)
            #expect(order.id == id)
            #expect(try await harness.upstreamCalls() == 4)
            let statuses = try await harness.simulator.requests().compactMap { $0["status"]?.lenientInt }
            #expect(statuses == [503, 503, 503, 200])
        }
    }

    @Test func persistentServiceUnavailableGivesUpAfterTheConfiguredRetries() async throws {
        try await SimulatorHarness.run { harness in
            try await harness.simulator.injectFault(path: "/orders", forSeconds: 60, status: 503)
            let error = try #require(await orderDeskError { try await harness.api.listOrders() })
            #expect(error.code == .upstreamUnavailable)
            #expect(error.httpStatus == 503)
            #expect(error.message.contains("4 attempts"))
            #expect(try await harness.upstreamCalls() == 3 + 1)
        }
        try await SimulatorHarness.run(configure: { $0.retry.maxRetries = 1 }) { harness in
            try await harness.simulator.injectFault(path: "/orders", forSeconds: 60, status: 502)
            let error = await orderDeskError { try await harness.api.listOrders() }
            #expect(error?.code == .upstreamUnavailable)
            #expect(try await harness.upstreamCalls() == 1 + 1)
        }
    }

    @Test func postIsNotRetriedAfterAServerError() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            try await harness.resetLog()
            try await harness.simulator.injectFault(method: "POST", path: "/orders/*/order-history", count: 3, status: 503)
            let error = try #require(await orderDeskError { try await harness.api.addOrderHistory(orderID: id, note: "hello") })
            #expect(error.code == .upstreamUnavailable)
            #expect(error.message.contains("may have reached OrderDesk"))
            #expect(try await harness.upstreamCalls() == 1)
        }
    }

    @Test func postIsRetriedAfterARateLimit() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            try await harness.resetLog()
            try await harness.simulator.injectFault(
                method: "POST", path: "/orders/*/order-history", count: 1, status: 429, headers: ["X-Retry-After": "0"])
            let order = try await harness.api.addOrderHistory(orderID: id, note: "exactly once")
            #expect(order.history.filter { $0.note == "exactly once" }.count == 1)
            #expect(try await harness.upstreamCalls() == 2)
        }
    }

    @Test func slowAnswerBeyondTheDeadlineIsATimeout() async throws {
        try await SimulatorHarness.run(configure: { $0.timeout = .seconds(1) }) { harness in
            try await harness.simulator.injectFault(path: "/test", count: 1, delayMilliseconds: 3000)
            let started = ContinuousClock.now
            let error = try #require(await orderDeskError { try await harness.api.testConnection() })
            let elapsed = ContinuousClock.now - started
            #expect(error.code == .timeout)
            #expect(error.httpStatus == nil)
            #expect(elapsed >= .milliseconds(900))
            #expect(elapsed < .milliseconds(2500))
        }
    }

    @Test func rateLimitWaitBeyondTheDeadlineFailsFastWithRetryAfter() async throws {
        try await SimulatorHarness.run(configure: { $0.timeout = .seconds(3) }) { harness in
            try await harness.simulator.injectFault(path: "/test", count: 1, status: 429, headers: ["X-Retry-After": "30"])
            let started = ContinuousClock.now
            let error = try #require(await orderDeskError { try await harness.api.testConnection() })
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(error.code == .rateLimited)
            #expect(error.retryAfter == .seconds(30))
            #expect(error.httpStatus == 429)
            #expect(try await harness.upstreamCalls() == 1)
        }
    }

    @Test func droppedConnectionIsRetriedAndSucceeds() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            try await harness.resetLog()
            try await harness.simulator.injectFault(method: "GET", path: "/orders/*", count: 1, dropConnection: true)
            let order = try await harness.api.getOrder(id)
            #expect(order.id == id)
            let statuses = try await harness.simulator.requests().compactMap { $0["status"]?.lenientInt }
            #expect(statuses == [0, 200])
        }
    }

    @Test func droppedConnectionOnCreateIsNotRepeated() async throws {
        try await SimulatorHarness.run { harness in
            try await harness.simulator.injectFault(method: "POST", path: "/orders", count: 1, dropConnection: true)
            let error = try #require(await orderDeskError { try await harness.api.createOrder(OrderOperationsTests.newOrder) })
            #expect(error.code == .upstreamUnavailable)
            #expect(error.message.contains("may have reached OrderDesk"))
            #expect(try await harness.upstreamCalls() == 1)
        }
    }

    @Test func malformedJSONIsABadResponse() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            try await harness.resetLog()
            try await harness.simulator.injectFault(method: "GET", path: "/orders/*", count: 1, malformedBody: true)
            let error = try #require(await orderDeskError { try await harness.api.getOrder(id) })
            #expect(error.code == .badResponse)
            #expect(error.httpStatus == 200)
            #expect(try await harness.upstreamCalls() == 1)
        }
    }

    @Test func unreachableUpstreamIsUnavailableAfterRetries() async throws {
        // A port nothing listens on: connection refused on every attempt.
        let configuration = SimulatorHarness.fastConfiguration(baseURL: "http://127.0.0.1:9/api/v2")
        let client = OrderDeskClient(configuration: configuration)
        let api = client.store(StoreCredentials(storeID: "1", apiKey: "k-unreachable-0123456789"))
        let error = await orderDeskError { try await api.testConnection() }
        await client.shutdown()
        #expect(error?.code == .upstreamUnavailable)
        #expect(error?.message.contains("Could not connect") == true)
        #expect(client.statistics.transfers == 4)
    }

    @Test func conflictsOnPutAreRetriedWithAFreshMerge() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            let before = try await harness.api.getOrder(id)
            try await harness.resetLog()
            try await harness.simulator.injectFault(path: "/orders/*", count: 2, conflictOnPut: true)
            let updated = try await harness.api.updateOrder(id, changes: ["shipping": ["city": "Conflictville"]])
            #expect(updated.shipping?.city == "Conflictville")
            #expect(updated.shipping?.address1 == before.shipping?.address1)
            #expect(updated.shipping?.firstName == before.shipping?.firstName)
            #expect(updated.email == before.email)
            #expect(updated.items.map(\.id) == before.items.map(\.id))
            #expect(updated.items.map(\.quantity) == before.items.map(\.quantity))
            #expect(try await harness.upstreamCalls(method: "PUT") == 3)
            #expect(try await harness.upstreamCalls(method: "GET") == 3)
            let stored = try await harness.simulator.order(id)
            #expect(stored["shipping"]?["city"] == "Conflictville")
        }
    }

    @Test func persistentConflictGivesUpAfterTheConfiguredRetries() async throws {
        try await SimulatorHarness.run { harness in
            let id = try await harness.someOrderID()
            try await harness.resetLog()
            try await harness.simulator.injectFault(path: "/orders/*", forSeconds: 60, conflictOnPut: true)
            let error = try #require(await orderDeskError { try await harness.api.updateOrder(id, changes: ["email": "c@x.io"]) })
            #expect(error.code == .conflict)
            #expect(error.httpStatus == 409)
            #expect(try await harness.upstreamCalls(method: "PUT") == 5 + 1)
        }
    }

    @Test func theRealLeakyBucketIsRiddenOut() async throws {
        // Enough retries that a task unlucky enough to meet several empty buckets in a row still
        // gets through: the point is that 429s are waited out, not how many retries it takes.
        try await SimulatorHarness.run(
            rateLimited: true,
            configure: {
                $0.timeout = .seconds(30)
                $0.retry = RetryPolicy(maxRetries: 12, baseDelay: .milliseconds(200), maxDelay: .seconds(2))
            }
        ) { harness in
            // 40 requests from 8 tasks outrun the bucket (20, refilling 3/s) on any machine.
            let api = harness.api
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { for _ in 0..<5 { _ = try await api.testConnection() } } }
                try await group.waitForAll()
            }
            let statuses = try await harness.simulator.requests().compactMap { $0["status"]?.lenientInt }
            #expect(statuses.filter { $0 == 200 }.count == 40)
            #expect(statuses.contains(429))
        }
    }
}

extension RetryBehaviourTests {
    /// libcurl silently resends a request whose reused keep-alive connection closed without an
    /// answer. For a POST that could duplicate an order, so POSTs go out on a fresh connection.
    @Test func droppedPostOnAWarmConnectionIsNotResentByLibcurl() async throws {
        try await SimulatorHarness.run { harness in
            _ = try await harness.api.testConnection()
            try await harness.resetLog()
            try await harness.simulator.injectFault(method: "POST", path: "/orders", count: 1, dropConnection: true)
            let error = await orderDeskError { try await harness.api.createOrder(OrderOperationsTests.newOrder) }
            #expect(error?.code == .upstreamUnavailable)
            #expect(try await harness.upstreamCalls(method: "POST") == 1)
            let page = try await harness.api.listOrders(OrderQuery(sourceID: "T-1001"))
            #expect(page.totalRecords == 0)
        }
    }
}
