import Testing

@testable import orderdesk_sim

/// The "Post Order JSON" body and signature (reference §6): form field `order`, encoded like PHP's
/// `urlencode`, and `X-ORDER-DESK-HASH` = lower-case hex HMAC-SHA256 of the JSON under the API key.
@Suite("Webhook payload")
struct WebhookPayloadTests {
    // Expected values computed outside Swift:
    //   printf '%s' MESSAGE | openssl dgst -sha256 -hmac KEY
    @Test func signatureMatchesTheRFCStyleVector() {
        let signature = WebhookPayload.signature(
            orderJSON: "The quick brown fox jumps over the lazy dog", apiKey: "key")
        #expect(signature == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }

    @Test func signatureCoversTheDecodedJSONBytes() {
        let json = #"{"email":"a b+c@x.com","note":"é/&=~*"}"#
        let signature = WebhookPayload.signature(orderJSON: json, apiKey: "sim-test-key-10001-AbCdEfGhIjKlMnOp")
        #expect(signature == "9d28f91101b911cff4f0b3abc099f7ec0dcb935e87c337ba5508b4a7f7ce3549")
    }

    @Test func formEncodingFollowsPHPUrlencode() {
        let json = #"{"email":"a b+c@x.com","note":"é/&=~*"}"#
        // PHP's urlencode: space → "+", "~" and "*" percent-encoded, upper-case hex, UTF-8 bytes.
        #expect(
            WebhookPayload.formBody(orderJSON: json)
                == "order=%7B%22email%22%3A%22a+b%2Bc%40x.com%22%2C%22note%22%3A%22%C3%A9%2F%26%3D%7E%2A%22%7D")
    }

    @Test func unreservedCharactersStayAsTheyAre() {
        let text = "AZaz09-_."
        #expect(WebhookPayload.formEncoded(text) == text)
        #expect(WebhookPayload.formEncoded("") == "")
        #expect(WebhookPayload.formEncoded("\n\u{7F}") == "%0A%7F")
    }
}
