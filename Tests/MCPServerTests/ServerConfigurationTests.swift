import App
import Foundation
import Testing

@testable import MCPServer

@Suite struct ServerConfigurationTests {
    let complete: [String: String] = [
        "DATABASE_URL": "postgresql:///orderdesk?user=orderdesk_app",
        "MASTER_KEY_PEPPER": Data(repeating: 7, count: 32).base64EncodedString(),
        "ENCRYPTION_KEY": Data(repeating: 9, count: 32).base64EncodedString(),
    ]

    func problem(_ environment: [String: String]) -> ConfigurationError? {
        do {
            _ = try ServerConfiguration(reader: EnvironmentReader(environment))
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func defaultsApplyWhenOnlyTheRequiredSettingsAreGiven() throws {
        let configuration = try ServerConfiguration(reader: EnvironmentReader(complete))
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.allowedOrigins.isEmpty)
        #expect(configuration.allowSessionAuthentication)
        #expect(configuration.maximumBodyBytes == 1_048_576)
        #expect(configuration.trustedProxies == .none)
    }

    @Test func eachMissingSecretIsNamedWithHowToMakeOne() {
        for variable in ["DATABASE_URL", "MASTER_KEY_PEPPER", "ENCRYPTION_KEY"] {
            var environment = complete
            environment[variable] = nil
            let error = problem(environment)
            #expect(error?.variable == variable, "\(variable)")
            if variable != "DATABASE_URL" {
                #expect(error?.description.contains("openssl rand -base64 32") == true, "\(variable)")
            }
        }
    }

    @Test func malformedValuesAreRefusedWithoutEchoingThem() {
        var environment = complete
        environment["ENCRYPTION_KEY"] = "not-base64-s3cret!"
        let error = problem(environment)
        #expect(error?.variable == "ENCRYPTION_KEY")
        #expect(error?.description.contains("s3cret") == false)
        environment = complete
        environment["PORT"] = "http"
        #expect(problem(environment)?.variable == "PORT")
        environment = complete
        environment["ALLOW_SESSION_AUTH"] = "maybe"
        #expect(problem(environment)?.variable == "ALLOW_SESSION_AUTH")
    }

    @Test func originsAreAListOfExactValues() throws {
        var environment = complete
        environment["ALLOWED_ORIGINS"] = "https://a.example, https://b.example"
        #expect(
            try ServerConfiguration(reader: EnvironmentReader(environment)).allowedOrigins == [
                "https://a.example", "https://b.example",
            ])
    }

    @Test func trustedProxiesAreReadAndBadOnesRefused() throws {
        var environment = complete
        environment["TRUSTED_PROXIES"] = "172.30.0.10, fd00::/8"
        let proxies = try ServerConfiguration(reader: EnvironmentReader(environment)).trustedProxies
        #expect(proxies.trusts("172.30.0.10") && proxies.trusts("fd00::1") && !proxies.trusts("172.30.0.11"))
        environment["TRUSTED_PROXIES"] = "lb.internal"
        #expect(problem(environment)?.variable == "TRUSTED_PROXIES")
    }
}
