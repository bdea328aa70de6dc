public import JSON

/// The one place secrets are removed from text and JSON before logs, audit parameters and error
/// messages (DESIGN §5).
///
/// Two rules: members whose *name* says they hold a secret lose their value whatever it is; and
/// any string containing a *known secret* of the request (its master key, a store API key), or
/// anything shaped like a master key or a bearer token, has that part replaced.
public struct Redactor: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What every removed secret is replaced with.
    public static let placeholder = "[REDACTED]"

    /// A redactor with no known secrets: it still applies the name and pattern rules.
    public static let standard = Redactor(knownSecrets: [])

    /// Fragments of member names that mark a secret, compared after lowercasing and removing `-`
    /// and `_`, so `api_key`, `apiKey`, `API-KEY` and `ORDERDESK-API-KEY` all match `apikey`.
    ///
    /// "Contains" on purpose: it also catches `x_api_key`, `access_token` or `db_password`. It
    /// over-redacts names like `max_tokens`; a lost harmless value is the cheaper mistake.
    public static let sensitiveNameFragments = [
        "apikey", "masterkey", "authorization", "token", "password", "secret",
        "passphrase", "cookie", "pepper", "encryptionkey",
    ]

    /// Known secrets shorter than this are ignored: replacing short values ("1", "true", a
    /// store id) would shred ordinary text, and no real key or password here is that short.
    public static let minimumKnownSecretLength = 8

    private static let sensitiveNameFragmentBytes = sensitiveNameFragments.map { Array($0.utf8) }

    /// Known secrets, longest first, so a secret that contains another is removed whole; with their
    /// UTF-8 bytes, which `redact` searches for.
    private let knownSecrets: [(text: String, utf8: [UInt8])]

    /// A redactor that also removes the given values wherever they appear in a string.
    public init(knownSecrets: [String]) {
        let usable = Set(knownSecrets.filter { $0.unicodeScalars.count >= Self.minimumKnownSecretLength })
        self.knownSecrets = usable.sorted { $0.unicodeScalars.count > $1.unicodeScalars.count }.map { ($0, Array($0.utf8)) }
    }

    /// This redactor plus more known secrets, for the scope of one request.
    public func adding(knownSecrets more: [String]) -> Redactor {
        Redactor(knownSecrets: knownSecrets.map(\.text) + more)
    }

    /// Whether a member named `name` holds a secret by its name alone.
    public static func isSensitiveName(_ name: String) -> Bool {
        // ASCII names (nearly all) without allocating; others lowercase the Unicode way, which can
        // turn a non-ASCII letter (KELVIN SIGN) into an ASCII one.
        if name.utf8.allSatisfy({ $0 < 0x80 }) {
            var normalized: [UInt8] = []
            normalized.reserveCapacity(name.utf8.count)
            for byte in name.utf8 where byte != UInt8(ascii: "-") && byte != UInt8(ascii: "_") {
                normalized.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
            }
            return sensitiveNameFragmentBytes.contains { fragment in occurs(fragment, in: normalized) }
        }
        let normalized = String(name.lowercased().unicodeScalars.filter { $0 != "-" && $0 != "_" })
        return sensitiveNameFragments.contains { normalized.contains($0) }
    }

    /// `value` with secret-named members replaced by `placeholder`, and every string, at any
    /// depth (inside arrays and nested objects too), passed through `redact(_:)` for text.
    public func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var redacted: [String: JSONValue] = [:]
            redacted.reserveCapacity(members.count)
            for (name, member) in members {
                redacted[name] = Self.isSensitiveName(name) ? .string(Self.placeholder) : redact(member)
            }
            return .object(redacted)
        case .array(let elements):
            return .array(elements.map { redact($0) })
        case .string(let text):
            return .string(redact(text))
        case .null, .bool, .int, .double:
            return value
        }
    }

    /// `text` with known secrets, master-key-shaped strings (`odmk_…`) and `Bearer` tokens replaced.
    ///
    /// Matching is on Unicode scalars, not grapheme clusters, so a secret followed by a combining
    /// mark is still found.
    public func redact(_ text: String) -> String {
        var result = text
        // A secret occurs as scalars exactly where its UTF-8 bytes occur (UTF-8 is self-synchronizing),
        // so the byte search decides, and only a text that holds a secret is rebuilt.
        for secret in knownSecrets where Self.occurs(secret.utf8, in: result.utf8) {
            result = String(result.unicodeScalars.replacing(secret.text.unicodeScalars, with: Self.placeholder.unicodeScalars))
        }
        if Self.occurs(Self.masterKeyPrefix, in: result.utf8) {
            result = result.replacing(Self.masterKeyPattern(), with: Self.placeholder)
        }
        if Self.mayContainBearer(result) {
            result = result.replacing(Self.bearerPattern()) { match in "\(match.output.1) \(Self.placeholder)" }
        }
        return result
    }

    private static let masterKeyPrefix = Array("odmk_".utf8)

    /// Whether `needle` occurs in `haystack`: a plain scan. The standard library's
    /// `Collection.contains(_:)` for sequences builds a searcher per call, and this runs for every
    /// member name and string of every audited call.
    static func occurs(_ needle: [UInt8], in haystack: some Collection<UInt8>) -> Bool {
        guard let first = needle.first else { return true }
        let found = haystack.withContiguousStorageIfAvailable { bytes in occurs(needle, first, in: bytes) }
        return found ?? occurs(needle, first, in: Array(haystack))
    }

    private static func occurs(_ needle: [UInt8], _ first: UInt8, in bytes: some RandomAccessCollection<UInt8>) -> Bool {
        guard bytes.count >= needle.count else { return false }
        var start = bytes.startIndex
        let last = bytes.index(bytes.endIndex, offsetBy: -needle.count)
        while start <= last {
            if bytes[start] == first, zip(bytes[start...], needle).allSatisfy({ $0 == $1 }) { return true }
            start = bytes.index(after: start)
        }
        return false
    }

    /// Whether "bearer" appears in any ASCII case (the regex only matches ASCII letters).
    private static func mayContainBearer(_ text: String) -> Bool {
        let word = Array("bearer".utf8)
        var matched = 0
        for byte in text.utf8 {
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
            if lower == word[matched] {
                matched += 1
                if matched == word.count { return true }
            } else {
                matched = lower == word[0] ? 1 : 0
            }
        }
        return false
    }

    /// Anything shaped like a master key, even truncated or from another environment.
    ///
    /// Built per call: `Regex` is not `Sendable`, so it cannot be a shared static; only strings that
    /// contain `odmk_` or `bearer` pay for it.
    private static func masterKeyPattern() -> Regex<Substring> {
        /odmk_[A-Za-z0-9_\-]{20,}/.matchingSemantics(.unicodeScalar)
    }

    /// An HTTP bearer credential in free text (`Authorization: Bearer eyJ…`); keeps the word.
    private static func bearerPattern() -> Regex<(Substring, Substring)> {
        /\b([Bb][Ee][Aa][Rr][Ee][Rr])\s+[A-Za-z0-9\-._~+\/]+=*/.matchingSemantics(.unicodeScalar)
    }

    public var description: String {
        // Never print the known secrets themselves.
        "Redactor(\(knownSecrets.count) known secrets)"
    }

    public var debugDescription: String { description }
}
