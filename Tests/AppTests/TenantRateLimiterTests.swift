import App
import Foundation
import Postgres
import Testing

@Suite(.serialized) struct TenantRateLimiterTests {
    @Test func burstIsSpentThenCallsAreDeniedWithRetryAfter() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            // 6 a minute = one token every 10 s, so the refill during the test is negligible.
            let limiter = TenantRateLimiter(
                database: fixture.database, configuration: RateLimitConfiguration(perMinute: 6, burst: 5))
            for expected in stride(from: 4.0, through: 0, by: -1) {
                guard case .allowed(let remaining) = try await limiter.consume(tenantID: tenant.tenantID, cost: 1) else {
                    Issue.record("denied with \(expected + 1) tokens left")
                    return
                }
                #expect(abs(remaining - expected) < 0.3)
            }
            let denied = try await limiter.consume(tenantID: tenant.tenantID, cost: 1)
            guard case .denied(let retryAfter) = denied else {
                Issue.record("allowed past the burst: \(denied)")
                return
            }
            #expect((7...10).contains(retryAfter))
            // A write (cost 2) needs twice as long.
            guard case .denied(let writeRetry) = try await limiter.consume(tenantID: tenant.tenantID, cost: 2) else {
                Issue.record("write allowed past the burst")
                return
            }
            #expect((17...20).contains(writeRetry))
            // Another tenant has its own bucket.
            let other = try await fixture.createTenant()
            #expect(try await limiter.consume(tenantID: other.tenantID, cost: 1) == .allowed(remaining: 4))
        }
    }

    @Test func bucketRefillsOverTime() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            // 1 token a second, at most 2 saved.
            let limiter = TenantRateLimiter(
                database: fixture.database, configuration: RateLimitConfiguration(perMinute: 60, burst: 2))
            var denied = false
            for _ in 0..<10 where !denied {
                if case .denied = try await limiter.consume(tenantID: tenant.tenantID, cost: 1) { denied = true }
            }
            #expect(denied)
            // The refill is computed in SQL from updated_at with Postgres's clock, which a test cannot
            // move: moving the bucket's last update 10 s back is the same as waiting 10 s.
            _ = try await fixture.asSuperuser { tx in
                try tx.execute(
                    """
                    UPDATE orderdesk.rate_limit_buckets SET updated_at = updated_at - interval '10 seconds'
                    WHERE tenant_id = \(tenant.tenantID) AND bucket = 'tenant'
                    """)
            }
            // Refilled to the burst, not beyond (10 s would be 10 tokens): two calls pass, the third is denied.
            var allowed = 0
            for _ in 0..<3 {
                if case .allowed = try await limiter.consume(tenantID: tenant.tenantID, cost: 1) { allowed += 1 }
            }
            #expect(allowed == 2)
        }
    }

    /// With a burst of 100 a replica takes 5 tokens ahead of need with each database decision and
    /// spends them locally: 6 calls per write to the hot row, and still never more than the limit.
    @Test func tokensTakenAheadOfNeedCutDatabaseWritesButNeverTheLimit() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            // 1 a minute: no refill worth counting during the test.
            let limiter = TenantRateLimiter(
                database: fixture.database, configuration: RateLimitConfiguration(perMinute: 1, burst: 100))
            for _ in 0..<12 {
                #expect(try await limiter.consume(tenantID: tenant.tenantID, cost: 1) != .denied(retryAfterSeconds: 0))
            }
            // Calls 1 and 7 went to the database, each taking 1 + 5: 100 - 12 left there.
            let stored = try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.query("SELECT tokens FROM orderdesk.rate_limit_buckets WHERE bucket = 'tenant'")[0]
                    .decode(Double.self, "tokens")
            }
            #expect(abs(stored - 88) < 0.1)
            var allowed = 12
            for _ in 0..<200 {
                if case .allowed = try await limiter.consume(tenantID: tenant.tenantID, cost: 1) { allowed += 1 }
            }
            // Never more than the burst; at most one prefetch (5) lost at the end.
            #expect((95...100).contains(allowed), "allowed \(allowed)")
        }
    }

    @Test func callsArrivingTogetherShareOneDecisionsPrefetchInsteadOfEachAskingTheDatabase() async throws {
        try await AppFixture.run(poolSize: 8) { fixture in
            let tenant = try await fixture.createTenant()
            // Burst 1000: a decision takes 1 + 20 ahead; 1 a minute: no refill worth counting.
            let limiter = TenantRateLimiter(
                database: fixture.database, configuration: RateLimitConfiguration(perMinute: 1, burst: 1000))
            let calls = 32
            let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<calls {
                    group.addTask {
                        if case .allowed = try await limiter.consume(tenantID: tenant.tenantID, cost: 1) { return true }
                        return false
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(allowed == calls)
            let taken = try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                1000
                    - (try tx.query("SELECT tokens FROM orderdesk.rate_limit_buckets WHERE bucket = 'tenant'")[0]
                        .decode(Double.self, "tokens"))
            }
            // Each database decision takes 21 tokens. One per call would be 32 x 21 = 672; waiting for
            // the decision in flight needs two or three (a few more if the scheduler splits the calls).
            #expect(taken <= 6 * 21, "\(taken / 21) decisions for \(calls) calls")
        }
    }

    @Test func twoReplicasWithPrefetchNeverExceedTheSharedLimit() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let configuration = RateLimitConfiguration(perMinute: 60, burst: 40)
            let replicaDatabase = fixture.secondReplica()
            let replicas = [
                TenantRateLimiter(database: fixture.database, configuration: configuration),
                TenantRateLimiter(database: replicaDatabase, configuration: configuration),
            ]
            let start = ContinuousClock.now
            var allowed = 0
            for index in 0..<100 {
                if case .allowed = try await replicas[index % 2].consume(tenantID: tenant.tenantID, cost: 1) { allowed += 1 }
            }
            let elapsed = ContinuousClock.now - start
            let refill = Int((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18).rounded(.up))
            #expect(allowed <= 40 + refill, "allowed \(allowed) in \(elapsed)")
            #expect(allowed >= 40 - 2 * 2, "allowed \(allowed)")
            await replicaDatabase.shutdown()
        }
    }

    @Test func readsCostOneAndWritesTwo() throws {
        let defaults = RateLimitConfiguration()
        #expect(defaults.perMinute == 120 && defaults.burst == 240)
        #expect(defaults.cost(of: .read) == 1 && defaults.cost(of: .write) == 2)
        let configured = try RateLimitConfiguration(
            reader: EnvironmentReader(["RATE_LIMIT_PER_MINUTE": "30", "RATE_LIMIT_BURST": "45"]))
        #expect(configured.perMinute == 30 && configured.burst == 45)
        do {
            _ = try RateLimitConfiguration(reader: EnvironmentReader(["RATE_LIMIT_BURST": "-3"]))
            Issue.record("accepted a negative burst")
        } catch let error as ConfigurationError {
            #expect(error.variable == "RATE_LIMIT_BURST")
        }
    }

    @Test func twoReplicasDrawFromOneBucket() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let configuration = RateLimitConfiguration(perMinute: 60, burst: 10)
            let replicaDatabase = fixture.secondReplica()
            let replicas = [
                TenantRateLimiter(database: fixture.database, configuration: configuration),
                TenantRateLimiter(database: replicaDatabase, configuration: configuration),
            ]
            let start = ContinuousClock.now
            let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<40 {
                    let limiter = replicas[index % 2]
                    group.addTask {
                        if case .allowed = try await limiter.consume(tenantID: tenant.tenantID, cost: 1) { return true }
                        return false
                    }
                }
                var count = 0
                for try await ok in group where ok { count += 1 }
                return count
            }
            let elapsed = ContinuousClock.now - start
            let refill = Int((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18).rounded(.up))
            #expect(allowed >= 10)
            #expect(allowed <= 10 + refill, "allowed \(allowed) in \(elapsed)")
            await replicaDatabase.shutdown()
        }
    }
}
