import OrderDesk
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsMatchTheDesign() {
        let configuration = OrderDeskConfiguration()
        #expect(configuration.baseURL == "https://app.orderdesk.me/api/v2")
        #expect(configuration.connectTimeout == .seconds(15))
        #expect(configuration.timeout == .seconds(60))
        #expect(configuration.retry.maxRetries == 3)
        #expect(configuration.retry.baseDelay == .seconds(1))
        #expect(configuration.conflictRetry.maxRetries == 5)
        #expect(configuration.conflictRetry.baseDelay == .milliseconds(500))
        #expect(configuration.conflictRetry.maxDelay == .seconds(8))
        #expect(configuration.userAgent == "orderdesk-mcp/\(OrderDeskConfiguration.clientVersion)")
    }

    @Test func environmentOverridesDefaults() throws {
        let configuration = try OrderDeskConfiguration(environment: [
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
        ])
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
        let error = #expect(throws: OrderDeskError.self) { try OrderDeskConfiguration(environment: [name: value]) }
        #expect(error?.code == .validation)
        #expect(error?.message.contains(name) == true)
        #expect(error?.message.contains(value) == false || name == "ORDERDESK_BASE_URL")
    }
}
