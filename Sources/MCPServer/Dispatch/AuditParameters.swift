import Cryptography
import Foundation
import JSON

/// What of a call's arguments goes into `audit_log.params`: redacted, without NUL characters
/// (jsonb refuses them, which would lose the row), and bounded, so nobody can grow the append-only
/// log by sending huge arguments. Oversized or invalid arguments are recorded by name only.
enum AuditParameters {
    static let maximumBytes = 4096
    static let maximumColumnLength = 100

    static func record(_ arguments: JSONValue, redactor: Redactor) -> JSONValue {
        let cleaned = withoutNUL(redactor.redact(arguments.objectValue.map(JSONValue.object) ?? ["arguments": arguments]))
        let encoded = cleaned.encoded()
        guard encoded.count > maximumBytes else { return cleaned }
        return [
            "_truncated": true, "argument_names": names(arguments), "bytes": .int(Int64(encoded.count)),
            "sha256": .string(SHA256.hexDigest(Array(encoded))),
        ]
    }

    /// For calls whose arguments did not pass the schema: which names were sent, nothing more.
    static func namesOnly(_ arguments: JSONValue) -> JSONValue {
        ["_invalid_arguments": true, "argument_names": names(arguments)]
    }

    /// A short text column (store, target): redacted, NUL-free, capped.
    static func column(_ value: String?, redactor: Redactor) -> String? {
        value.map { capped(redactor.redact($0), maximumColumnLength) }
    }

    /// NUL-free and at most `limit` Unicode scalars (PostgreSQL's char_length counts code points, while
    /// Swift's `prefix` counts grapheme clusters, which can hold many).
    static func capped(_ text: String, _ limit: Int) -> String {
        // No more bytes than the limit means no more code points either.
        if text.utf8.count <= limit && !hasNUL(text) { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.lazy.filter { $0 != "\u{0}" }.prefix(limit))
        return String(scalars)
    }

    private static func names(_ arguments: JSONValue) -> JSONValue {
        .array((arguments.objectValue ?? [:]).keys.sorted().prefix(50).map { .string(capped($0, 64)) })
    }

    private static func withoutNUL(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text) where hasNUL(text): return .string(text.replacingOccurrences(of: "\u{0}", with: ""))
        case .array(let elements): return .array(elements.map(withoutNUL))
        case .object(let members) where members.keys.contains(where: hasNUL):
            return .object(
                Dictionary(
                    members.map { ($0.key.replacingOccurrences(of: "\u{0}", with: ""), withoutNUL($0.value)) },
                    uniquingKeysWith: { first, _ in first }))
        case .object(let members): return .object(members.mapValues(withoutNUL))
        default: return value
        }
    }

    private static func hasNUL(_ text: String) -> Bool { text.utf8.contains(0) }
}
