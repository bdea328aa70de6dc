import Foundation
import JSON
import OrderDesk
import TestSupport
import Testing

/// Every kind of error the client produces against the real simulator, checked for the API key.
@Suite struct SecretLeakTests {
    @Test func noErrorEverContainsTheAPIKey() async throws {
        let key = SimulatorProcess.Store.standard.apiKey
        var errors: [OrderDeskError] = []
        try await SimulatorHarness.run(configure: { $0.timeout = .seconds(2) }) { harness in
            let api = harness.api
            let id = try await harness.someOrderID()
            let sim = harness.simulator
            func collect(_ body: () async throws -> Void) async {
                if let error = await orderDeskError(body) { errors.append(error) }
            }
            // unauthorized: a wrong key that merely contains the right one
            await collect {
                _ = try await harness.client.store(StoreCredentials(storeID: "10001", apiKey: key + "x")).testConnection()
            }
            // notFound
            await collect { _ = try await api.getOrder("424242424") }
            // rateLimited (wait beyond the deadline), with OrderDesk echoing the key in its message
            try await sim.injectFault(
                path: "/test", count: 1, status: 429, headers: ["X-Retry-After": "60"],
                body: #"{"status":"error","message":"slow down \#(key)"}"#)
            await collect { _ = try await api.testConnection() }
            // conflict: stale expected date_updated, and 409 forever
            await collect { _ = try await api.updateOrder(id, changes: ["email": "a@b.c"], expectedDateUpdated: "x") }
            try await sim.injectFault(
                path: "/orders/*", count: 10, status: 409, body: #"{"status":"error","message":"conflict for \#(key)"}"#,
                conflictOnPut: true)
            await collect { _ = try await api.updateOrder(id, changes: ["email": "a@b.c"]) }
            try await sim.clearFaults()
            // upstreamUnavailable, with the key in the 503 body
            try await sim.injectFault(
                path: "/store", count: 4, status: 503, body: #"{"status":"error","message":"down \#(key)"}"#)
            await collect { _ = try await api.getStore() }
            // badResponse
            try await sim.injectFault(path: "/test", count: 1, malformedBody: true)
            await collect { _ = try await api.testConnection() }
            // timeout
            try await sim.injectFault(path: "/test", count: 1, delayMilliseconds: 4000)
            await collect { _ = try await api.testConnection() }
            // validation: upstream message echoing the key, and a local one
            try await sim.injectFault(
                path: "/orders", count: 1, status: 400, body: #"{"status":"error","message":"bad key \#(key)!"}"#)
            await collect { _ = try await api.listOrders() }
            await collect { _ = try await api.updateOrder(id, changes: ["order_items": [["id": "0"]]]) }
        }
        let codes = Set(errors.map(\.code.description))
        #expect(
            codes == [
                "unauthorized", "not_found", "rate_limited", "conflict", "upstream_unavailable", "bad_response", "timeout",
                "validation",
            ])
        for error in errors {
            for text in [
                error.message, error.description, String(reflecting: error), "\(error)",
                error.currentDateUpdated ?? "",
            ] {
                #expect(!text.contains(key), "\(error.code) leaks the key")
            }
        }
        #expect(errors.contains { $0.message.contains("[redacted]") })
    }

    @Test func malformedCredentialsAreRefusedWithoutEchoingThem() async throws {
        let client = OrderDeskClient(configuration: SimulatorHarness.fastConfiguration(baseURL: "http://127.0.0.1:9/api/v2"))
        let secret = "abc\r\nX-Injected: 1"
        let error = await orderDeskError {
            try await client.store(StoreCredentials(storeID: "1", apiKey: secret)).testConnection()
        }
        await client.shutdown()
        #expect(error?.code == .validation)
        #expect(error?.message.contains("X-Injected") == false)
        #expect(client.statistics.transfers == 0)
    }
}
