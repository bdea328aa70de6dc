/// Writes a `JSONValue` as compact UTF-8 JSON text without Codable.
///
/// The bytes are exactly what `JSONEncoder` wrote with `[.sortedKeys, .withoutEscapingSlashes]`
/// (`JSONFastPathTests` compares the two), because cache keys and idempotency fingerprints hash
/// them: keys in UTF-8 byte order, only `"`, `\` and U+0000–U+001F escaped, integers in decimal,
/// doubles as their shortest round-trip `description` minus a trailing `.0`.
struct JSONWriter {
    /// JSONEncoder refused to write containers nested this deep; it also bounds the recursion.
    static let maximumDepth = 512

    private var bytes: [UInt8] = []

    /// The text, or nil when JSONEncoder would have failed: a NaN or infinite double, or nesting
    /// of `maximumDepth` containers or more.
    static func serialize(_ value: JSONValue) -> [UInt8]? {
        var writer = JSONWriter()
        writer.bytes.reserveCapacity(128)
        do {
            try writer.write(value, depth: 0)
        } catch {
            return nil
        }
        return writer.bytes
    }

    private struct Unencodable: Error {}

    private mutating func write(_ value: JSONValue, depth: Int) throws(Unencodable) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .int(let number): write(number)
        case .double(let number): try write(number)
        case .string(let text): write(text)
        case .array(let elements):
            guard depth + 1 < Self.maximumDepth else { throw Unencodable() }
            bytes.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                try write(element, depth: depth + 1)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            guard depth + 1 < Self.maximumDepth else { throw Unencodable() }
            bytes.append(UInt8(ascii: "{"))
            if members.count == 1, let only = members.first {
                try write(key: only.key, member: only.value, depth: depth + 1)
            } else if members.count > 1 {
                for (offset, pair) in members.sorted(by: { Self.precedes($0.key, $1.key) }).enumerated() {
                    if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                    try write(key: pair.key, member: pair.value, depth: depth + 1)
                }
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func write(key: String, member: JSONValue, depth: Int) throws(Unencodable) {
        write(key)
        bytes.append(UInt8(ascii: ":"))
        try write(member, depth: depth)
    }

    private mutating func write(_ number: Int64) {
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    private mutating func write(_ number: Double) throws(Unencodable) {
        guard number.isFinite else { throw Unencodable() }
        var text = number.description
        text.withUTF8 { utf8 in
            let count = utf8.count
            let isWhole = count > 2 && utf8[count - 2] == UInt8(ascii: ".") && utf8[count - 1] == UInt8(ascii: "0")
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[..<(isWhole ? count - 2 : count)]))
        }
    }

    private mutating func write(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var plainStart = 0
            for position in utf8.indices {
                let byte = utf8[position]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainStart..<position]))
                appendEscape(for: byte)
                plainStart = position + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// JSONEncoder's escapes: short forms for `"`, `\` and five controls, `\u00xx` (lowercase hex) for
    /// the other controls. `/`, DEL, U+2028 and U+2029 are written as they are.
    private mutating func appendEscape(for byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            append("u00")
            bytes.append(hexDigits.utf8Start[Int(byte >> 4)])
            bytes.append(hexDigits.utf8Start[Int(byte & 0xF)])
        }
    }

    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// JSONEncoder's `.sortedKeys` order outside Apple platforms: bytewise on UTF-8. Unlike `String.<`
    /// it does not compare canonical forms, so "a\u{301}" (decomposed á) sorts before "b".
    static func precedes(_ left: String, _ right: String) -> Bool {
        let contiguous = left.utf8.withContiguousStorageIfAvailable { left in
            right.utf8.withContiguousStorageIfAvailable { right in
                for position in 0..<min(left.count, right.count) where left[position] != right[position] {
                    return left[position] < right[position]
                }
                return left.count < right.count
            }
        }
        if let contiguous, let result = contiguous { return result }
        return left.utf8.lexicographicallyPrecedes(right.utf8)
    }
}
