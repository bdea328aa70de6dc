import App
import Cryptography
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@testable import MCPServer

/// `POST /webhooks/orderdesk` at the HTTP edge: every refusal has its status, a stable code and an
/// `X-Request-ID`, and none says whether the store id is registered. (Signed posts of registered
/// stores: `WebhookReceiverTests` and tests/e2e/test_webhooks.py.)
@Suite(.serialized) struct EdgeWebhookTests {
    static let path = "/webhooks/orderdesk"
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func signed(_ order: String, storeID: String = "10001", key: String = "some-key") -> HTTPFields {
        var fields = form
        fields[.orderDeskStoreID] = storeID
        fields[.orderDeskHash] = HMACSHA256.authenticationCode(key: Array(key.utf8), message: Array(order.utf8)).hexString
        return fields
    }

    static func body(_ order: String) -> ByteBuffer {
        ByteBuffer(string: "order=" + (order.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
    }

    static func expectRefusal(
        _ response: TestResponse, _ status: HTTPResponse.Status, _ code: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.json?["error"]?["code"] == .string(code), "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.headers[.requestID]?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    }

    @Test func refusalsHaveTheirStatusAndCode() async throws {
        try await EdgeFixture.run(["WEBHOOK_MAX_BODY_BYTES": "1024"]) { fixture in
            try await fixture.server.test { client in
                let order = #"{"id":"1"}"#
                let get = try await client.execute(uri: Self.path, method: .get)
                Self.expectRefusal(get, .methodNotAllowed, "method_not_allowed")
                #expect(get.headers[.allow] == "POST")

                // No signature headers, a malformed one, or one sent twice: 401 before the body is read.
                let unsigned = try await client.execute(uri: Self.path, method: .post, headers: Self.form, body: Self.body(order))
                Self.expectRefusal(unsigned, .unauthorized, "unauthorized")
                var shortHash = Self.signed(order)
                shortHash[.orderDeskHash] = "abc123"
                var badStore = Self.signed(order)
                badStore[.orderDeskStoreID] = "10001; DROP TABLE"
                var twice = Self.signed(order)
                twice.append(HTTPField(name: .orderDeskStoreID, value: "10002"))
                for headers in [shortHash, badStore, twice] {
                    let response = try await client.execute(
                        uri: Self.path, method: .post, headers: headers, body: Self.body(order))
                    Self.expectRefusal(response, .unauthorized, "unauthorized")
                }

                // Well-formed and signed, but no tenant registered the store: the same answer, word for word.
                let unknown = try await client.execute(
                    uri: Self.path, method: .post, headers: Self.signed(order, storeID: "99999"), body: Self.body(order))
                Self.expectRefusal(unknown, .unauthorized, "unauthorized")
                #expect(unknown.json?["error"]?["message"] == unsigned.json?["error"]?["message"])

                var json = Self.signed(order)
                json[.contentType] = "application/json"
                let wrongType = try await client.execute(
                    uri: Self.path, method: .post, headers: json, body: ByteBuffer(string: order))
                Self.expectRefusal(wrongType, .unsupportedMediaType, "unsupported_media_type")

                let big = String(repeating: "x", count: 2000)
                let tooLarge = try await client.execute(
                    uri: Self.path, method: .post, headers: Self.signed(big), body: ByteBuffer(string: "order=" + big))
                Self.expectRefusal(tooLarge, .contentTooLarge, "too_large")

                for body in ["note=1", "order=1&order=1", "order=%zz"] {
                    let response = try await client.execute(
                        uri: Self.path, method: .post, headers: Self.signed(order), body: ByteBuffer(string: body))
                    Self.expectRefusal(response, .badRequest, "invalid_payload")
                }
            }
        }
    }

    @Test func aFloodFromOneAddressIs429WithRetryAfter() async throws {
        try await EdgeFixture.run(["WEBHOOK_PER_MINUTE": "1", "WEBHOOK_BURST": "2"]) { fixture in
            try await fixture.server.test { client in
                let order = #"{"id":"1"}"#
                for _ in 0..<2 {
                    let response = try await client.execute(
                        uri: Self.path, method: .post, headers: Self.signed(order, storeID: "99999"), body: Self.body(order))
                    #expect(response.status == .unauthorized)
                }
                let limited = try await client.execute(
                    uri: Self.path, method: .post, headers: Self.signed(order, storeID: "99999"), body: Self.body(order))
                Self.expectRefusal(limited, .tooManyRequests, "rate_limited")
                #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
                // The MCP endpoint's own unauthenticated budget is separate.
                let discover = try await client.post(MCPMessage.request("ping"))
                #expect(discover.status != .tooManyRequests)
            }
        }
    }

    @Test func anUnreachableDatabaseIs503SoOrderDeskRetries() async throws {
        let server = try EdgeServer.withUnreachableDatabase()
        do {
            try await server.test { client in
                let order = #"{"id":"1"}"#
                let response = try await client.execute(
                    uri: Self.path, method: .post, headers: Self.signed(order), body: Self.body(order))
                Self.expectRefusal(response, .serviceUnavailable, "unavailable")
                #expect(response.headers[.retryAfter] == "10")
            }
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }
}
