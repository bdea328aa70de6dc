import Foundation
import JSON
import Testing

@testable import OrderDesk

/// The retry rules, checked without a network: which outcome is retried for which method.
@Suite struct RetryRulesTests {
    static func response(_ status: Int, _ body: String = #"{"status":"error","message":"nope"}"#, headers: [String: String] = [:])
        -> Result<HTTPResponse, TransportFailure>
    {
        .success(HTTPResponse(status: status, headers: headers, body: Data(body.utf8)))
    }

    static func request(_ method: HTTPMethod) -> UpstreamRequest {
        UpstreamRequest(method: method, path: ["orders", "1"], subject: "order 1")
    }

    enum Expected: Sendable, Equatable { case success, retry, fail }

    static func classify(_ verdict: AttemptVerdict) -> (Expected, OrderDeskError?) {
        switch verdict {
        case .success: return (.success, nil)
        case .retry(let error, _): return (.retry, error)
        case .fail(let error): return (.fail, error)
        }
    }

    @Test(arguments: [
        (429, HTTPMethod.get, Expected.retry, OrderDeskError.Code.rateLimited),
        (429, .post, .retry, .rateLimited),
        (500, .get, .retry, .upstreamUnavailable),
        (502, .put, .retry, .upstreamUnavailable),
        (503, .delete, .retry, .upstreamUnavailable),
        (504, .get, .retry, .upstreamUnavailable),
        (500, .post, .fail, .upstreamUnavailable),
        (503, .post, .fail, .upstreamUnavailable),
        (501, .get, .fail, .upstreamUnavailable),
        (401, .get, .fail, .unauthorized),
        (403, .get, .fail, .unauthorized),
        (404, .get, .fail, .notFound),
        (409, .put, .fail, .conflict),
        (400, .post, .fail, .validation),
        (422, .post, .fail, .validation),
        (302, .get, .fail, .badResponse),
    ])
    func statusCodesAreClassified(status: Int, method: HTTPMethod, expected: Expected, code: OrderDeskError.Code) {
        let (kind, error) = Self.classify(Self.request(method).verdict(for: Self.response(status), timeout: .seconds(60)))
        #expect(kind == expected)
        #expect(error?.code == code)
        #expect(error?.httpStatus == status)
    }

    @Test func successNeedsAJSONObjectAndNoErrorStatus() {
        let ok = Self.request(.get).verdict(for: Self.response(200, #"{"status":"success","order":{}}"#), timeout: .seconds(1))
        #expect(Self.classify(ok).0 == .success)
        let malformed = Self.request(.get).verdict(for: Self.response(200, #"{"status":"succ"#), timeout: .seconds(1))
        #expect(Self.classify(malformed).1?.code == .badResponse)
        let array = Self.request(.get).verdict(for: Self.response(200, "[1,2]"), timeout: .seconds(1))
        #expect(Self.classify(array).1?.code == .badResponse)
        let refused = Self.request(.post).verdict(
            for: Self.response(200, #"{"status":"error","message":"Shipment Not Added"}"#), timeout: .seconds(1))
        let (kind, error) = Self.classify(refused)
        #expect(kind == .fail)
        #expect(error?.code == .validation)
        #expect(error?.message.contains("Shipment Not Added") == true)
    }

    @Test(arguments: [
        (TransportFailure.Kind.connect, false, HTTPMethod.post, Expected.retry, OrderDeskError.Code.upstreamUnavailable),
        (.network, true, .get, .retry, .upstreamUnavailable),
        (.network, true, .post, .fail, .upstreamUnavailable),
        (.network, false, .post, .retry, .upstreamUnavailable),
        (.timeout, true, .put, .retry, .timeout),
        (.timeout, true, .post, .fail, .timeout),
        (.timeout, false, .post, .retry, .timeout),
        (.responseTooLarge, true, .get, .fail, .badResponse),
        (.unusable, false, .get, .fail, .upstreamUnavailable),
    ])
    func transportFailuresAreClassified(
        kind: TransportFailure.Kind, sent: Bool, method: HTTPMethod, expected: Expected, code: OrderDeskError.Code
    ) {
        let failure = TransportFailure(kind: kind, requestMayHaveBeenSent: sent, detail: "detail")
        let (verdict, error) = Self.classify(Self.request(method).verdict(for: .failure(failure), timeout: .seconds(60)))
        #expect(verdict == expected)
        #expect(error?.code == code)
        if method == .post && sent && kind != .responseTooLarge {
            #expect(error?.message.contains("may have reached OrderDesk") == true)
        }
    }

    @Test func retryAfterHeadersAreHonoured() {
        #expect(UpstreamRequest.retryAfter(["x-retry-after": "1"]) == .seconds(1))
        #expect(UpstreamRequest.retryAfter(["retry-after": "2.5"]) == .milliseconds(2500))
        #expect(UpstreamRequest.retryAfter(["x-retry-after": "3", "retry-after": "9"]) == .seconds(3))
        #expect(UpstreamRequest.retryAfter(["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"]) == nil)
        #expect(UpstreamRequest.retryAfter([:]) == nil)
        let verdict = Self.request(.get).verdict(
            for: Self.response(429, headers: ["x-retry-after": "4"]), timeout: .seconds(60))
        guard case .retry(let error, let notBefore) = verdict else {
            Issue.record("429 must be retried")
            return
        }
        #expect(notBefore == .seconds(4))
        #expect(error.retryAfter == .seconds(4))
    }

    @Test func backoffDoublesUpToTheCapWithoutJitter() {
        let policy = RetryPolicy(maxRetries: 5, baseDelay: .seconds(1), maxDelay: .seconds(5), jitter: 0)
        #expect((0..<5).map(policy.delay(forRetry:)) == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        #expect(RetryPolicy.upstreamDefault.maxRetries == 3)
        let conflict = RetryPolicy(maxRetries: 5, baseDelay: .milliseconds(500), maxDelay: .seconds(8), jitter: 0)
        #expect(
            (0..<5).map(conflict.delay(forRetry:)) == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8)])
    }

    @Test func jitterStaysWithinItsBand() {
        let policy = RetryPolicy(maxRetries: 3, baseDelay: .seconds(2), maxDelay: .seconds(30), jitter: 0.2)
        for _ in 0..<200 {
            let delay = policy.delay(forRetry: 1)
            #expect(delay >= .milliseconds(3200) && delay <= .milliseconds(4800))
        }
    }

    @Test func onlyPostIsTreatedAsNonIdempotent() {
        #expect(HTTPMethod.get.isIdempotent && HTTPMethod.put.isIdempotent && HTTPMethod.delete.isIdempotent)
        #expect(!HTTPMethod.post.isIdempotent)
    }
}
