import App
import Testing

/// The form decoding of `/oauth/token` and `/oauth/revoke`, and the hourly budget of registrations.
@Suite struct OAuthFormAndBudgetTests {
    @Test func formsRefuseRepeatedParametersAndTreatEmptyAsAbsent() throws {
        #expect(
            try OAuthForm.parse(Array("a=1&b=x+y%2B%C3%A9&c=&&d".utf8)) == ["a": "1", "b": "x y+é"])
        #expect(throws: OAuthForm.Failure.repeated("a")) { try OAuthForm.parse(Array("a=1&b=2&a=1".utf8)) }
        #expect(throws: OAuthForm.Failure.repeated("c")) { try OAuthForm.parse(Array("c=&c=2".utf8)) }
        #expect(throws: OAuthForm.Failure.malformed) { try OAuthForm.parse(Array("a=%2".utf8)) }
        #expect(throws: OAuthForm.Failure.malformed) { try OAuthForm.parse(Array("a=%FF".utf8)) }
    }

    @Test func anHourlyBudgetRefillsOncePerItsShareOfTheHour() {
        let clock = ManualClock()
        let admission = UnauthenticatedAdmission(configuration: .init(perHour: 2, burst: 2), now: clock.now)
        #expect(admission.admit(address: "192.0.2.1") != .denied(retryAfterSeconds: 1800))
        #expect(admission.admit(address: "192.0.2.1") != .denied(retryAfterSeconds: 1800))
        #expect(admission.admit(address: "192.0.2.1") == .denied(retryAfterSeconds: 1800))
        clock.advance(by: .seconds(1799))
        #expect(admission.admit(address: "192.0.2.1") == .denied(retryAfterSeconds: 1))
        clock.advance(by: .seconds(1))
        if case .denied = admission.admit(address: "192.0.2.1") { Issue.record("a token should be back after 30 minutes") }
    }
}
