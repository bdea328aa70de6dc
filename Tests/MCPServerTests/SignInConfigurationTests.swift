import App
import Foundation
import Testing

@testable import MCPServer

/// The sign-in pages' settings: read only with `PUBLIC_BASE_URL`, defaults, ranges.
struct SignInConfigurationTests {
    let complete: [String: String] = [
        "DATABASE_URL": "postgresql:///orderdesk?user=orderdesk_app",
        "MASTER_KEY_PEPPER": Data(repeating: 7, count: 32).base64EncodedString(),
        "ENCRYPTION_KEY": Data(repeating: 9, count: 32).base64EncodedString(),
    ]

    @Test func withoutPublicBaseURLNothingIsReadNotEvenABadValue() throws {
        let environment = complete.merging(["OAUTH_CODE_TTL_SECONDS": "abc"]) { $1 }
        #expect(try ServerConfiguration(reader: EnvironmentReader(environment)).signIn == nil)
    }

    @Test func defaultsApplyWithPublicBaseURL() throws {
        let environment = complete.merging(["PUBLIC_BASE_URL": "https://mcp.example"]) { $1 }
        let settings = try #require(try ServerConfiguration(reader: EnvironmentReader(environment)).signIn)
        #expect(settings.codeTTL == .seconds(60))
        #expect(settings.magicLinkTTL == .seconds(900))
        #expect(settings.webSessionTTL == .seconds(28_800))
        #expect(settings.perAddressPerHour == 5)
        #expect(settings.perIPPerHour == 30)
        #expect(settings.mail.delivery == nil)
    }

    @Test func outOfRangeValuesAreRefusedByName() {
        for (variable, value) in [
            ("OAUTH_CODE_TTL_SECONDS", "5"), ("SIGNIN_PER_ADDRESS_PER_HOUR", "0"), ("SIGNIN_PER_IP_PER_HOUR", "x"),
        ] {
            let environment = complete.merging(["PUBLIC_BASE_URL": "https://mcp.example", variable: value]) { $1 }
            #expect(throws: ConfigurationError.self) { try ServerConfiguration(reader: EnvironmentReader(environment)) }
            do {
                _ = try ServerConfiguration(reader: EnvironmentReader(environment))
            } catch let error as ConfigurationError {
                #expect(error.variable == variable)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
