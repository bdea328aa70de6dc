import Foundation
import JSON
import TestSupport
import Testing

@Suite("Leaky bucket rate limit")
struct RateLimitTests {
    @Test func bucketOfTwentyEmptiesThen429WithRetryAfterAndRefillsThreePerSecond() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let first = try await sim.request("GET", "/test")
        #expect(first.header("X-Tokens-Remaining") == "19")

        // A concurrent burst drains the bucket faster than it refills even on a loaded machine.
        // Tokens refilled during the burst (3/s) may let a few more through, so the bound uses the
        // burst's measured duration instead of assuming a fast machine.
        let started = ContinuousClock.now
        let burst = try await withThrowingTaskGroup(of: SimulatorProcess.Reply.self) { group in
            for _ in 0..<40 { group.addTask { try await sim.request("GET", "/test") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let successes = burst.filter { $0.status == 200 }.count + 1
        let rejected = burst.filter { $0.status == 429 }

        #expect(successes >= 20)
        #expect(successes <= 20 + Int((seconds * 3).rounded(.up)) + 1)
        #expect(rejected.count == burst.count - (successes - 1))
        let rejection = try #require(rejected.first, "no 429 after the bucket of 20 was used up")
        #expect(Int(rejection.header("X-Retry-After") ?? "") ?? 0 >= 1)
        #expect(rejection.header("X-Tokens-Remaining") == "0")
        #expect(rejection.json?["status"] == "error")

        try await Task.sleep(for: .milliseconds(1100))
        var statuses: [Int] = []
        for _ in 0..<3 { statuses.append(try await sim.request("GET", "/test").status) }
        #expect(statuses == [200, 200, 200])
    }

    @Test func emptyBucketRejectsTheTwentyFirstCallInARow() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        // Sequential calls: the 21st is refused unless 20 calls took more than 1/3 s, in which case
        // refilled tokens legitimately allow one more call per 1/3 s spent.
        let started = ContinuousClock.now
        var statuses: [Int] = []
        while statuses.count < 60, statuses.last != 429 {
            statuses.append(try await sim.request("GET", "/test").status)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let allowed = statuses.prefix { $0 == 200 }.count

        #expect(statuses.last == 429)
        #expect(allowed >= 20)
        #expect(allowed <= 20 + Int((seconds * 3).rounded(.up)))
    }

    @Test func noRateLimitFlagNeverAnswers429() async throws {
        let sim = try await SimulatorProcess.launch(rateLimited: false)
        defer { sim.stop() }

        var statuses: Set<Int> = []
        for _ in 0..<30 { statuses.insert(try await sim.request("GET", "/test").status) }

        #expect(statuses == [200])
    }
}
