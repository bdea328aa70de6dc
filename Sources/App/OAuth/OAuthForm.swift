/// The `application/x-www-form-urlencoded` body of a token or revocation request (RFC 6749 §3.2,
/// RFC 7009 §2.1), decoded the way `WebhookForm` decodes OrderDesk's.
public enum OAuthForm {
    public enum Failure: Error, Equatable, Sendable {
        /// A parameter appears more than once (RFC 6749 §3.2: "MUST NOT be included more than once").
        case repeated(String)
        /// A `%` not followed by two hex digits, or a name or value that is not UTF-8.
        case malformed
    }

    /// The parameters by name. An empty value counts as absent (RFC 6749 §3.1: "sent without a
    /// value MUST be treated as if they were omitted"), but still counts for the duplicate check.
    public static func parse(_ body: [UInt8]) throws(Failure) -> [String: String] {
        var parameters: [String: String] = [:]
        var seen: Set<String> = []
        for (name, value) in try pairs(body) {
            guard seen.insert(name).inserted else { throw .repeated(name) }
            if !value.isEmpty { parameters[name] = value }
        }
        return parameters
    }

    /// Every name and value in order, repetitions kept (the sign-in and consent pages' forms and
    /// query strings, where a ticked box sends one field each).
    /// - Throws: `.malformed` for a bad `%` escape or a name or value that is not UTF-8.
    public static func pairs(_ body: [UInt8]) throws(Failure) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName: [UInt8]
            var rawValue: [UInt8] = []
            do {
                rawName = try WebhookForm.decode(pair[pair.startIndex..<(equals ?? pair.endIndex)])
                if let equals { rawValue = try WebhookForm.decode(pair[pair.index(after: equals)...]) }
            } catch {
                throw .malformed
            }
            guard let name = String(validating: rawName, as: UTF8.self),
                let value = String(validating: rawValue, as: UTF8.self)
            else { throw .malformed }
            pairs.append((name, value))
        }
        return pairs
    }
}
