import App

/// The fields of an `application/x-www-form-urlencoded` text: a query string or a form body.
///
/// Order and repetitions are kept (a form sends one `scope` field per ticked box). Malformed
/// percent escapes make the whole text unreadable rather than guessed at.
struct FormFields: Sendable, Equatable {
    let pairs: [(name: String, value: String)]

    static func == (lhs: FormFields, rhs: FormFields) -> Bool {
        lhs.pairs.map(\.name) == rhs.pairs.map(\.name) && lhs.pairs.map(\.value) == rhs.pairs.map(\.value)
    }

    /// Nil when a name or value has a malformed `%` escape or is not UTF-8.
    init?(parsing text: Substring) {
        guard let pairs = try? OAuthForm.pairs(Array(text.utf8)) else { return nil }
        self.pairs = pairs
    }

    /// Every value of `name`, in order.
    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    /// The value of `name` when it appears exactly once; nil when absent or repeated.
    func single(_ name: String) -> String? {
        let values = all(name)
        return values.count == 1 ? values[0] : nil
    }

    /// How often `name` appears.
    func count(_ name: String) -> Int { pairs.reduce(0) { $0 + ($1.name == name ? 1 : 0) } }
}

/// Percent-encoding for building URLs we send browsers to.
enum URLQuery {
    /// `name=value` pairs joined with `&`, every byte but RFC 3986's unreserved ones escaped.
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                escaped += "%"
                escaped.unicodeScalars.append(Unicode.Scalar(digits[Int(byte >> 4)]))
                escaped.unicodeScalars.append(Unicode.Scalar(digits[Int(byte & 0xF)]))
            }
        }
        return escaped
    }

    /// `uri` with `pairs` added to its query (RFC 6749 §3.1.2: keep the redirect URI's own query).
    static func appending(_ pairs: [(String, String)], to uri: String) -> String {
        let separator = uri.contains("?") ? (uri.hasSuffix("?") || uri.hasSuffix("&") ? "" : "&") : "?"
        return uri + separator + encode(pairs)
    }
}
