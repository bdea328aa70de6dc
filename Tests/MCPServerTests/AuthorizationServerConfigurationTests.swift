import App
import Foundation
import Testing

@testable import MCPServer

/// `AuthorizationServerConfiguration`: read only with `PUBLIC_BASE_URL`, defaults, ranges.
@Suite struct AuthorizationServerConfigurationTests {
    let complete: [String: String] = [
        "DATABASE_URL": "postgresql:///orderdesk?user=orderdesk_app",
        "MASTER_KEY_PEPPER": Data(repeating: 7, count: 32).base64EncodedString(),
        "ENCRYPTION_KEY": Data(repeating: 9, count: 32).base64EncodedString(),
        "PUBLIC_BASE_URL": "https://mcp.example.com",
    ]

    func configuration(_ overrides: [String: String]) throws -> ServerConfiguration {
        try ServerConfiguration(reader: EnvironmentReader(complete.merging(overrides) { $1 }))
    }

    @Test func defaultsAndSettings() throws {
        let defaults = try #require(try configuration([:]).authorizationServer)
        #expect(defaults.accessTokenTTL == .seconds(600))
        #expect(defaults.refreshTokenTTL == .seconds(30 * 86_400))
        #expect(defaults.admission.perMinute == 600 && defaults.admission.burst == 120)
        #expect(defaults.registration.perHour == 30 && defaults.registration.burst == 30)

        let set = try #require(
            try configuration([
                "OAUTH_ACCESS_TOKEN_TTL_SECONDS": "60", "OAUTH_REFRESH_TOKEN_TTL_DAYS": "365",
                "OAUTH_REQUESTS_PER_MINUTE": "5", "OAUTH_REQUESTS_BURST": "7", "OAUTH_REGISTER_PER_IP_PER_HOUR": "3",
            ]).authorizationServer)
        #expect(set.accessTokenTTL == .seconds(60))
        #expect(set.refreshTokenTTL == .seconds(365 * 86_400))
        #expect(set.admission.perMinute == 5 && set.admission.burst == 7)
        #expect(set.registration.perHour == 3 && set.registration.burst == 3)
    }

    @Test func outOfRangeValuesAreRefusedByName() {
        for (variable, value) in [
            ("OAUTH_ACCESS_TOKEN_TTL_SECONDS", "59"), ("OAUTH_ACCESS_TOKEN_TTL_SECONDS", "86401"),
            ("OAUTH_REFRESH_TOKEN_TTL_DAYS", "0"), ("OAUTH_REFRESH_TOKEN_TTL_DAYS", "366"),
            ("OAUTH_REQUESTS_PER_MINUTE", "0"), ("OAUTH_REQUESTS_BURST", "x"), ("OAUTH_REGISTER_PER_IP_PER_HOUR", "0"),
        ] {
            #expect(throws: ConfigurationError.self, "\(variable)=\(value)") { try configuration([variable: value]) }
            do {
                _ = try configuration([variable: value])
            } catch let error as ConfigurationError {
                #expect(error.variable == variable)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func withoutPublicBaseURLNothingIsReadOrChecked() throws {
        var environment = complete
        environment["PUBLIC_BASE_URL"] = nil
        environment["OAUTH_ACCESS_TOKEN_TTL_SECONDS"] = "1"
        let configuration = try ServerConfiguration(reader: EnvironmentReader(environment))
        #expect(configuration.resource == nil)
        #expect(configuration.authorizationServer == nil)
    }
}
