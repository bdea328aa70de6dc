import JSON
import TestSupport
import Testing

/// The `/_sim/requests` admin endpoint.
@Suite("Request log")
struct RequestLogTests {
    @Test func logCountsEveryApiRequestAndNeverHoldsTheApiKey() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let key = SimulatorProcess.Store.standard.apiKey

        _ = try await sim.request("GET", "/test")
        _ = try await sim.request("GET", "/orders?limit=2")
        _ = try await sim.request("GET", "/orders?limit=3")
        _ = try await sim.request("GET", "/test", apiKey: "wrong-key")
        _ = try await sim.request("GET", "/orders?api_key=\(key)")

        let entries = try await sim.requests()
        #expect(entries.count == 5)
        #expect(try await sim.requestCount(method: "GET", path: "/orders") == 3)
        #expect(entries.map { $0["status"] } == [200, 200, 200, 401, 200])
        #expect(entries.allSatisfy { $0["store_id"] == "10001" })
        #expect(entries[1]["query"] == "limit=2")
        #expect(!JSONValue.array(entries).encodedString().contains(key))
    }

    @Test func adminCallsAreNotLoggedAndResetEmptiesTheLog() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        _ = try await sim.request("GET", "/test")
        try await sim.injectFault(path: "/nothing", status: 500)
        let before = try await sim.requestCount()
        try await sim.reset()
        let after = try await sim.requestCount()

        #expect(before == 1)
        #expect(after == 0)
    }
}
