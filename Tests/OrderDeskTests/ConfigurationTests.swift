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
}
