import Cryptography

/// The body and signature of one "Post Order JSON" post (reference §6): the order JSON in form
/// field `order`, signed with HMAC-SHA256 under the store's API key.
enum WebhookPayload {
    /// `order=<JSON>`, form-encoded.
    static func formBody(orderJSON: String) -> String { "order=" + formEncoded(orderJSON) }

    /// PHP's `urlencode`: ALPHA, DIGIT and `-_.` stay, a space becomes `+`, every other UTF-8 byte
    /// becomes `%XX` (upper-case hex).
    static func formEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                output.append(byte)
            case UInt8(ascii: " "):
                output.append(UInt8(ascii: "+"))
            default:
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `X-ORDER-DESK-HASH`: lower-case hex HMAC-SHA256 of the (decoded) JSON's UTF-8 bytes, keyed
    /// with the store's API key.
    static func signature(orderJSON: String, apiKey: String) -> String {
        HMACSHA256.authenticationCode(key: Array(apiKey.utf8), message: Array(orderJSON.utf8)).hexString
    }
}
