import App
import Testing

/// The in-memory sign-in budgets, on a manual clock.
@Suite struct SignInLimiterTests {
    static func email(_ text: String) -> MemberEmail { try! MemberEmail(text) }

    @Test func anAddressGetsItsHourlyBudgetThenRefillsEvenly() {
        let clock = ManualClock()
        let limiter = SignInLimiter(perAddressPerHour: 2, perIPPerHour: 100, clock: clock.now)
        let ann = Self.email("ann@example.com")
        #expect(limiter.admit(address: ann, ip: "192.0.2.1"))
        #expect(limiter.admit(address: ann, ip: "192.0.2.2"))
        #expect(!limiter.admit(address: ann, ip: "192.0.2.3"))  // another IP does not help
        #expect(limiter.admit(address: Self.email("bob@example.com"), ip: "192.0.2.3"))  // another address does
        #expect(!limiter.admit(address: Self.email("ANN@example.com"), ip: "192.0.2.4"))  // one address, one budget
        clock.advance(by: .seconds(1799))
        #expect(!limiter.admit(address: ann, ip: "192.0.2.1"))
        clock.advance(by: .seconds(1))
        #expect(limiter.admit(address: ann, ip: "192.0.2.1"))  // half an hour refills one of two
        #expect(!limiter.admit(address: ann, ip: "192.0.2.1"))
    }

    @Test func aClientAddressGetsItsHourlyBudgetAcrossAddresses() {
        let clock = ManualClock()
        let limiter = SignInLimiter(perAddressPerHour: 100, perIPPerHour: 3, clock: clock.now)
        for name in ["a", "b", "c"] { #expect(limiter.admit(address: Self.email("\(name)@example.com"), ip: "2001:db8::1")) }
        // The same IPv6 /64 shares the budget; another /64 has its own.
        #expect(!limiter.admit(address: Self.email("d@example.com"), ip: "2001:db8::2"))
        #expect(limiter.admit(address: Self.email("d@example.com"), ip: "2001:db8:0:1::1"))
        // No usable address: one shared bucket.
        for name in ["e", "f", "g"] { #expect(limiter.admit(address: Self.email("\(name)@example.com"), ip: nil)) }
        #expect(!limiter.admit(address: Self.email("h@example.com"), ip: "not an address"))
        clock.advance(by: .seconds(3600))
        #expect(limiter.admit(address: Self.email("h@example.com"), ip: "2001:db8::3"))
    }

    @Test func aRefusedRequestTakesFromNeitherBudget() {
        let clock = ManualClock()
        let limiter = SignInLimiter(perAddressPerHour: 1, perIPPerHour: 2, clock: clock.now)
        let ann = Self.email("ann@example.com")
        #expect(limiter.admit(address: ann, ip: "192.0.2.1"))
        // Ann's budget is spent: refused, and the IP keeps its second token for someone else.
        #expect(!limiter.admit(address: ann, ip: "192.0.2.1"))
        #expect(!limiter.admit(address: ann, ip: "192.0.2.1"))
        #expect(limiter.admit(address: Self.email("bob@example.com"), ip: "192.0.2.1"))
        #expect(!limiter.admit(address: Self.email("cid@example.com"), ip: "192.0.2.1"))
        // cid was refused by the IP budget, so cid's own budget is whole.
        #expect(limiter.admit(address: Self.email("cid@example.com"), ip: "192.0.2.9"))
    }

    @Test func aZeroBudgetRefusesEverything() {
        let limiter = SignInLimiter(perAddressPerHour: 0, perIPPerHour: 30)
        #expect(!limiter.admit(address: Self.email("ann@example.com"), ip: "192.0.2.1"))
    }
}
