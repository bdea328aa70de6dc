import JSON

/// One OrderDesk API call as the store API describes it, before credentials and retries.
struct UpstreamRequest: Sendable {
    var method: HTTPMethod
    /// Path segments after the base URL, unescaped (`["orders", "123", "shipments"]`).
    var path: [String]
    var query: [QueryItem] = []
    var body: JSONValue?
    /// What the call is about, for messages: "order 123", "inventory item 7", "the order list".
    var subject: String

    struct QueryItem: Sendable, Hashable {
        var name: String
        var value: String
    }

    /// The full URL with every path segment and query value percent-encoded.
    func url(base: String) -> String {
        var url = base
        for segment in path { url += "/" + segment.percentEncoded }
        if !query.isEmpty {
            url += "?" + query.map { "\($0.name.percentEncoded)=\($0.value.percentEncoded)" }.joined(separator: "&")
        }
        return url
    }

    /// The path with ids, for logs (the query can hold customer data, so it is left out).
    var logPath: String { "/" + path.joined(separator: "/") }
}

extension String {
    /// RFC 3986 percent-encoding of everything but the unreserved characters.
    var percentEncoded: String {
        var encoded = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return encoded
    }
}
