import App
import OrderDesk
import Testing

/// The upstream client's settings as `serve` reads them (`OrderDeskConfiguration(reader:)`).
@Suite struct OrderDeskConfigurationTests {
    @Test func environmentOverridesDefaults() throws {
        let configuration = try OrderDeskConfiguration(
            reader: EnvironmentReader([
                "ORDERDESK_BASE_URL": "http://127.0.0.1:9000/api/v2/",
                "ORDERDESK_CONNECT_TIMEOUT_MS": "250",
                "ORDERDESK_TIMEOUT_MS": "5000",
                "ORDERDESK_MAX_RETRIES": "0",
                "ORDERDESK_RETRY_BASE_MS": "10",
                "ORDERDESK_RETRY_MAX_MS": "40",
                "ORDERDESK_RETRY_JITTER": "0",
                "ORDERDESK_CONFLICT_RETRIES": "2",
                "ORDERDESK_CONFLICT_BASE_MS": "20",
                "ORDERDESK_CONFLICT_MAX_MS": "80",
                "ORDERDESK_MAX_CONNECTIONS": "3",
                "UNRELATED": "x",
            ]))
        #expect(configuration.baseURL == "http://127.0.0.1:9000/api/v2")
        #expect(configuration.connectTimeout == .milliseconds(250))
        #expect(configuration.timeout == .seconds(5))
        #expect(
            configuration.retry
                == RetryPolicy(maxRetries: 0, baseDelay: .milliseconds(10), maxDelay: .milliseconds(40), jitter: 0))
        #expect(configuration.conflictRetry.maxRetries == 2)
        #expect(configuration.conflictRetry.maxDelay == .milliseconds(80))
        #expect(configuration.maxConnections == 3)
    }

    @Test(arguments: [
        ("ORDERDESK_TIMEOUT_MS", "soon"), ("ORDERDESK_MAX_RETRIES", "-1"), ("ORDERDESK_MAX_CONNECTIONS", "0"),
        ("ORDERDESK_RETRY_JITTER", "2"), ("ORDERDESK_BASE_URL", "ftp://example.com"),
    ])
    func malformedValuesNameTheVariable(name: String, value: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try OrderDeskConfiguration(reader: EnvironmentReader([name: value]))
        }
        #expect(error?.variable == name)
        #expect(error?.description.contains(value) == false || name == "ORDERDESK_BASE_URL")
    }
}
