import Testing

@testable import OrderDesk

/// Error texts and credential descriptions never carry the API key.
@Suite struct ErrorSafetyTests {
    static let key = "live-key-Zq8vY2mK4pR7tW1xN5bC3dF6gH9jL0aS"

    static let everyCode: [OrderDeskError.Code] = [
        .unauthorized, .notFound, .rateLimited, .conflict, .upstreamUnavailable, .badResponse, .timeout, .validation,
    ]

    @Test(arguments: everyCode)
    func redactionRemovesTheKeyFromEveryKindOfError(_ code: OrderDeskError.Code) {
        // Worst case: OrderDesk echoes the key in its message.
        let error = OrderDeskError(
            code, "OrderDesk refused: key \(Self.key) is wrong", httpStatus: 400, retryAfter: .seconds(1),
            currentDateUpdated: Self.key
        ).redacting(Self.key)
        for text in [
            error.message, error.description, error.debugDescription, String(describing: error),
            String(reflecting: error), error.currentDateUpdated ?? "",
        ] {
            #expect(!text.contains(Self.key))
        }
        #expect(error.message.contains("[redacted]"))
        #expect(error.code == code)
    }

    @Test func credentialsNeverPrintTheKey() {
        let credentials = StoreCredentials(storeID: "10001", apiKey: Self.key)
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [
            credentials.description, credentials.debugDescription, String(describing: credentials),
            String(reflecting: credentials), "\(credentials)", dumped,
        ] {
            #expect(!text.contains(Self.key))
            #expect(text.contains("10001"))
        }
    }

    @Test func codesHaveStableNames() {
        #expect(
            Self.everyCode.map(\.description) == [
                "unauthorized", "not_found", "rate_limited", "conflict", "upstream_unavailable", "bad_response", "timeout",
                "validation",
            ])
    }

    @Test func upstreamMessagesAreCappedAndFlattened() {
        #expect(UpstreamRequest.sanitized("line1\nline2\u{7}") == "line1 line2")
        #expect(UpstreamRequest.sanitized(String(repeating: "x", count: 1000))?.count == 301)
        #expect(UpstreamRequest.sanitized("   ") == nil)
    }
}
