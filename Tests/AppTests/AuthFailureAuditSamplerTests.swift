import App
import Foundation
import Testing

@Suite struct AuthFailureAuditSamplerTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func eachAddressGetsItsShareOfRowsPerWindow() {
        let sampler = AuthFailureAuditSampler(perAddress: 3, total: 100, now: start)
        let a = (0..<5).map { sampler.decide(address: "203.0.113.1", reason: "unknownKey", now: start + Double($0)).decision }
        #expect(a == [.write, .write, .write, .suppress, .suppress])
        // Another address is not affected by the first one's flood.
        #expect(sampler.decide(address: "203.0.113.2", reason: "unknownKey", now: start + 6).decision == .write)
        // A new window: rows again, and the ended window's count is reported once.
        let next = sampler.decide(address: "203.0.113.1", reason: "unknownKey", now: start + 61)
        #expect(next.decision == .write)
        #expect(next.endedWindow == .init(attempts: 2, addresses: 1, windowStart: start))
        #expect(sampler.decide(address: "203.0.113.1", reason: "unknownKey", now: start + 62).endedWindow == nil)
    }

    @Test func attemptsTurnedAwayBeforeWritingAreCountedInTheWindowSummary() {
        let sampler = AuthFailureAuditSampler(perAddress: 3, total: 100, now: start)
        #expect(sampler.decide(address: "203.0.113.1", reason: "unknownKey", now: start).decision == .write)
        // Over UnauthenticatedAdmission's budget: no row of their own, whatever the address's share.
        for second in 1...4 { #expect(sampler.countSuppressed(address: "203.0.113.1", now: start + Double(second)) == nil) }
        #expect(sampler.countSuppressed(address: "2001:db8::1", now: start + 5) == nil)
        #expect(sampler.endWindowIfOver(now: start + 60) == .init(attempts: 5, addresses: 2, windowStart: start))
        #expect(sampler.endWindowIfOver(now: start + 61) == nil)
    }

    @Test func theReplicaWideCapHoldsAcrossAddresses() {
        let sampler = AuthFailureAuditSampler(perAddress: 5, total: 10, now: start)
        let decisions = (0..<40).map {
            sampler.decide(address: "198.51.100.\($0)", reason: "unknownKey", now: start + 1).decision
        }
        #expect(decisions.filter { $0 == .write }.count == 10)
        #expect(Array(decisions.prefix(10)) == Array(repeating: .write, count: 10))
        let next = sampler.decide(address: "198.51.100.1", reason: "unknownKey", now: start + 60)
        #expect(next.endedWindow == .init(attempts: 30, addresses: 30, windowStart: start))
    }

    @Test func untrackedAddressesBeyondTheMapLimitStillCountAgainstTheCap() {
        let sampler = AuthFailureAuditSampler(perAddress: 1, total: 1000, maximumAddresses: 2, now: start)
        #expect(sampler.decide(address: "192.0.2.1", reason: "unknownKey", now: start).decision == .write)
        #expect(sampler.decide(address: "192.0.2.2", reason: "unknownKey", now: start).decision == .write)
        #expect(sampler.decide(address: "192.0.2.1", reason: "unknownKey", now: start).decision == .suppress)
        // .3 is not tracked (map full): only the replica-wide cap applies to it.
        #expect(sampler.decide(address: "192.0.2.3", reason: "unknownKey", now: start).decision == .write)
        #expect(sampler.decide(address: "192.0.2.3", reason: "unknownKey", now: start).decision == .write)
    }

    @Test func addressesAreGroupedLikeTheFailedLoginBudget() {
        let sampler = AuthFailureAuditSampler(perAddress: 2, total: 1000, now: start)
        // One IPv6 /64 is one client, however many addresses it uses.
        #expect(sampler.decide(address: "2001:db8:1:2::1", reason: "unknownKey", now: start).decision == .write)
        #expect(sampler.decide(address: "2001:db8:1:2:ffff::9", reason: "unknownKey", now: start).decision == .write)
        #expect(sampler.decide(address: "2001:db8:1:2::abcd", reason: "unknownKey", now: start).decision == .suppress)
        #expect(sampler.decide(address: "2001:db8:1:3::1", reason: "unknownKey", now: start).decision == .write)
        // An IPv4-mapped IPv6 address is its IPv4 address; no usable address is one bucket.
        #expect(sampler.decide(address: "203.0.113.5", reason: "unknownKey", now: start).decision == .write)
        #expect(sampler.decide(address: "::ffff:203.0.113.5", reason: "unknownKey", now: start).decision == .write)
        #expect(sampler.decide(address: "203.0.113.5", reason: "unknownKey", now: start).decision == .suppress)
        #expect(sampler.decide(address: nil, reason: "unknownKey", now: start).decision == .write)
        #expect(sampler.decide(address: "not an address", reason: "unknownKey", now: start).decision == .write)
        #expect(sampler.decide(address: nil, reason: "unknownKey", now: start).decision == .suppress)
    }

    @Test func defaultsFollowThePerAddressLimit() {
        #expect(AuthFailureAuditSampler(perAddress: 20).total == 1000)
        #expect(AuthFailureAuditSampler(perAddress: 100).total == 5000)
        #expect(AuthFailureAuditSampler(perAddress: 0).perAddress == 1)
    }

    @Test func aPeriodicCallReportsAnEndedWindowOnceWithoutANewRefusal() {
        let sampler = AuthFailureAuditSampler(perAddress: 1, total: 100, now: start)
        _ = sampler.decide(address: "192.0.2.1", reason: "unknownKey", now: start)
        _ = sampler.decide(address: "192.0.2.1", reason: "unknownKey", now: start + 1)
        _ = sampler.decide(address: "192.0.2.1", reason: "unknownKey", now: start + 2)
        #expect(sampler.endWindowIfOver(now: start + 30) == nil)
        #expect(sampler.endWindowIfOver(now: start + 61) == .init(attempts: 2, addresses: 1, windowStart: start))
        #expect(sampler.endWindowIfOver(now: start + 125) == nil)
        // The window that started at the first report is fresh: the address has its share again.
        #expect(sampler.decide(address: "192.0.2.1", reason: "unknownKey", now: start + 126).decision == .write)
        // A window with nothing suppressed reports nothing.
        #expect(sampler.endWindowIfOver(now: start + 400) == nil)
    }

    @Test func refusalsOfRealKeysAlwaysGetTheirRowAndUseNoShare() {
        let sampler = AuthFailureAuditSampler(perAddress: 1, total: 1, now: start)
        #expect(sampler.decide(address: "192.0.2.1", reason: "unknownKey", now: start).decision == .write)
        #expect(sampler.decide(address: "192.0.2.1", reason: "malformed", now: start).decision == .suppress)
        for reason in ["revoked", "tenantDisabled", "session_key_revoked"] {
            #expect(sampler.decide(address: "192.0.2.1", reason: reason, now: start).decision == .write, "\(reason)")
        }
        #expect(sampler.decide(address: "192.0.2.2", reason: "unknownKey", now: start).decision == .suppress)
    }
}
