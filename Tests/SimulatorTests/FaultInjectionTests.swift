import Foundation
import JSON
import TestSupport
import Testing

/// The `/_sim/faults` admin endpoint.
@Suite("Fault injection")
struct FaultInjectionTests {
    @Test func injectedStatusAppliesToExactlyCountMatchingRequests() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        try await sim.injectFault(
            method: "GET", path: "/orders/*", count: 2, status: 503, headers: ["X-Fault": "yes"], body: "upstream down")
        let id = try await sim.orderID { _ in true }

        let first = try await sim.request("GET", "/orders/\(id)")
        let unmatched = try await sim.request("GET", "/test")
        let second = try await sim.request("GET", "/orders/\(id)")
        let third = try await sim.request("GET", "/orders/\(id)")

        #expect(first.status == 503)
        #expect(first.header("X-Fault") == "yes")
        #expect(String(decoding: first.body, as: UTF8.self) == "upstream down")
        #expect(unmatched.status == 200)
        #expect(second.status == 503)
        #expect(third.status == 200)
    }

    @Test func severalFaultsAreServedInTheOrderTheyWereQueued() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        try await sim.injectFault(path: "/test", count: 1, status: 500)
        try await sim.injectFault(path: "/test", count: 1, status: 502)
        try await sim.injectFault(path: "/test", count: 1, status: 429, headers: ["X-Retry-After": "2"])

        var statuses: [Int] = []
        for _ in 0..<4 { statuses.append(try await sim.request("GET", "/test").status) }

        #expect(statuses == [500, 502, 429, 200])
    }

    @Test func malformedBodyFaultCutsTheJSONButKeepsTheStatus() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        try await sim.injectFault(method: "GET", path: "/orders", malformedBody: true)

        let broken = try await sim.request("GET", "/orders")
        let healthy = try await sim.request("GET", "/orders")

        #expect(broken.status == 200)
        #expect(!broken.body.isEmpty)
        #expect((try? JSONValue(parsing: broken.body)) == nil)
        #expect(healthy.json?["status"] == "success")
    }

    @Test func dropConnectionFaultClosesTheConnectionWithoutAReply() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        // More than one: an HTTP client may transparently retry once when a reused connection dies.
        try await sim.injectFault(path: "/test", count: 3, dropConnection: true)

        await #expect(throws: (any Error).self) {
            _ = try await sim.request("GET", "/test")
        }
        try await sim.clearFaults()
        let log = try await sim.requests(path: "/test")

        #expect(log.contains { $0["status"] == 0 && $0["fault"] == "drop_connection" })
        #expect(try await sim.request("GET", "/test").status == 200)
    }

    @Test func conflictOnPutAnswers409OnlyToPuts() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let id = try await sim.orderID { _ in true }
        let order = try await sim.order(id)
        try await sim.injectFault(path: "/orders/*", count: 1, conflictOnPut: true)

        let get = try await sim.request("GET", "/orders/\(id)")
        let conflicted = try await sim.request("PUT", "/orders/\(id)", body: order)
        let retried = try await sim.request("PUT", "/orders/\(id)", body: order)

        #expect(get.status == 200)
        #expect(conflicted.status == 409)
        #expect(conflicted.json?["status"] == "error")
        #expect(retried.status == 200)
    }

    @Test func delayFaultSlowsTheRequestDown() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        try await sim.injectFault(path: "/test", delayMilliseconds: 400)

        let started = ContinuousClock.now
        let reply = try await sim.request("GET", "/test")

        #expect(reply.status == 200)
        #expect(ContinuousClock.now - started >= .milliseconds(400))
    }

    @Test func resetClearsQueuedFaults() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        try await sim.injectFault(path: "*", forSeconds: 60, status: 500)

        try await sim.reset()

        #expect(try await sim.request("GET", "/test").status == 200)
    }
}
