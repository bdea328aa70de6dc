import App
import Testing

@Suite struct UnauthenticatedAdmissionTests {
    static func allowed(_ decision: RateDecision) -> Bool {
        if case .allowed = decision { return true }
        return false
    }

    @Test func anAddressIsRefusedAfterItsBurstWithRetryAfter() {
        let clock = ManualClock()
        let admission = UnauthenticatedAdmission(
            configuration: .init(perMinute: 6, burst: 3), now: clock.now)
        let decisions = (0..<5).map { _ in admission.admit(address: "203.0.113.7") }
        #expect(decisions.prefix(3).allSatisfy(Self.allowed))
        #expect(decisions[0] == .allowed(remaining: 2))
        // 6 a minute: one token every 10 s.
        #expect(decisions[3] == .denied(retryAfterSeconds: 10))
        #expect(decisions[4] == .denied(retryAfterSeconds: 10))
        // Another address has its own bucket.
        #expect(Self.allowed(admission.admit(address: "203.0.113.8")))
    }

    @Test func tokensComeBackWithTheInjectedClock() {
        let clock = ManualClock()
        let admission = UnauthenticatedAdmission(configuration: .init(perMinute: 6, burst: 2), now: clock.now)
        #expect(Self.allowed(admission.admit(address: "198.51.100.1")))
        #expect(Self.allowed(admission.admit(address: "198.51.100.1")))
        #expect(admission.admit(address: "198.51.100.1") == .denied(retryAfterSeconds: 10))
        clock.advance(by: .seconds(4))
        // A refusal takes nothing: 0.4 tokens now, 6 s to go.
        #expect(admission.admit(address: "198.51.100.1") == .denied(retryAfterSeconds: 6))
        clock.advance(by: .seconds(6))
        #expect(Self.allowed(admission.admit(address: "198.51.100.1")))
        #expect(!Self.allowed(admission.admit(address: "198.51.100.1")))
        // A long pause refills to the burst, not beyond.
        clock.advance(by: .seconds(3600))
        #expect(admission.admit(address: "198.51.100.1") == .allowed(remaining: 1))
        #expect(Self.allowed(admission.admit(address: "198.51.100.1")))
        #expect(!Self.allowed(admission.admit(address: "198.51.100.1")))
    }

    @Test func addressesAreGroupedLikeTheFailedLoginBudget() {
        let admission = UnauthenticatedAdmission(configuration: .init(perMinute: 1, burst: 2), now: ManualClock().now)
        // One IPv6 /64 is one client, whichever of its addresses it uses.
        #expect(Self.allowed(admission.admit(address: "2001:db8:1:2::1")))
        #expect(Self.allowed(admission.admit(address: "2001:db8:1:2:ffff::9")))
        #expect(!Self.allowed(admission.admit(address: "[2001:db8:1:2::abcd]")))
        #expect(Self.allowed(admission.admit(address: "2001:db8:1:3::1")))
        // An IPv4-mapped IPv6 address is its IPv4 address.
        #expect(Self.allowed(admission.admit(address: "203.0.113.5")))
        #expect(Self.allowed(admission.admit(address: "::ffff:203.0.113.5")))
        #expect(!Self.allowed(admission.admit(address: "203.0.113.5")))
        // No usable address: one shared bucket.
        #expect(Self.allowed(admission.admit(address: nil)))
        #expect(Self.allowed(admission.admit(address: "not an address")))
        #expect(!Self.allowed(admission.admit(address: nil)))
        #expect(admission.trackedAddresses == 4)
    }

    @Test func trackedAddressesStayWithinTheBoundAndTheLongestIdleAreForgotten() {
        let admission = UnauthenticatedAdmission(
            configuration: .init(perMinute: 1, burst: 1, maximumAddresses: 100), now: ManualClock().now)
        #expect(Self.allowed(admission.admit(address: "192.0.2.1")))
        #expect(!Self.allowed(admission.admit(address: "192.0.2.1")))
        for index in 0..<1000 {
            _ = admission.admit(address: "10.0.\(index / 256).\(index % 256)")
            #expect(admission.trackedAddresses <= 100)
            // An address that keeps coming stays tracked, and refused.
            if index % 10 == 0 {
                #expect(!Self.allowed(admission.admit(address: "192.0.2.1")), "request \(index)")
            }
        }
        // Idle while 1000 others came: forgotten, so it starts again with a full bucket (the table
        // never refuses an address for being full).
        #expect(Self.allowed(admission.admit(address: "10.0.0.0")))
        #expect(!Self.allowed(admission.admit(address: "10.0.0.0")))
    }

    @Test func concurrentRequestsFromOneAddressGetExactlyTheBurst() async {
        // Time stands still, so exactly `burst` requests may pass whatever the interleaving.
        let admission = UnauthenticatedAdmission(configuration: .init(perMinute: 1, burst: 50), now: ManualClock().now)
        let allowed = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var allowed = 0
                    for request in 0..<100 {
                        if Self.allowed(admission.admit(address: "2001:db8::\(task):\(request)")) { allowed += 1 }
                    }
                    return allowed
                }
            }
            return await group.reduce(0, +)
        }
        #expect(allowed == 50)
        #expect(admission.trackedAddresses == 1)
    }

    @Test func settingsAreReadFromTheEnvironment() throws {
        let defaults = try UnauthenticatedAdmissionConfiguration(reader: EnvironmentReader([:]))
        #expect(defaults.perMinute == 60 && defaults.burst == 120)
        let set = try UnauthenticatedAdmissionConfiguration(
            reader: EnvironmentReader(["UNAUTHENTICATED_PER_MINUTE": " 30 ", "UNAUTHENTICATED_BURST": "5"]))
        #expect(set.perMinute == 30 && set.burst == 5)
        for (variable, value) in [
            ("UNAUTHENTICATED_PER_MINUTE", "0"), ("UNAUTHENTICATED_PER_MINUTE", "ten"),
            ("UNAUTHENTICATED_BURST", "1000001"), ("UNAUTHENTICATED_BURST", "2.5"),
        ] {
            let error = #expect(throws: ConfigurationError.self) {
                try UnauthenticatedAdmissionConfiguration(reader: EnvironmentReader([variable: value]))
            }
            #expect(error?.variable == variable)
        }
    }
}
