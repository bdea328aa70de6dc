import Foundation

/// Reads JSON text into a `JSONValue` straight from its UTF-8 bytes, without Codable.
///
/// It accepts exactly what Foundation's `JSONDecoder` accepted when `JSONValue(parsing:)` went
/// through Codable (`JSONFastPathTests` compares the two), quirks included: one trailing comma in
/// an array or object, a UTF-8 byte order mark, UTF-16 and UTF-32 text, nesting up to 512 levels,
/// and the first of two equal keys wins. The one deliberate difference is in
/// `JSONParser+Number.swift`: a literal with a fraction or exponent is an integer only if its
/// exact value is one.
struct JSONParser {
    /// JSONDecoder's limit; it also bounds this parser's recursion, so deep input cannot overflow the stack.
    static let maximumDepth = 512

    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int
    private var depth = 0
    /// Reused for strings that contain escapes, so each does not allocate its own buffer.
    private var unescaped: [UInt8] = []
    /// Members and elements of the open containers, innermost last; each container is built at its
    /// end with the exact capacity, so dictionaries are never rehashed while growing.
    private var pendingMembers: [(key: String, value: JSONValue)] = []
    private var pendingElements: [JSONValue] = []

    private init(bytes: UnsafeBufferPointer<UInt8>, index: Int) {
        self.bytes = bytes
        self.index = index
    }

    static func parse(_ data: Data) throws -> JSONValue {
        let utf8Value = try data.withUnsafeBytes { raw -> JSONValue? in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            // UTF-16 and UTF-32 text has a zero byte among its first four, or starts with FE or FF.
            let mayBeWider = bytes.prefix(4).contains(0) || bytes.first.map { $0 >= 0xFE } == true
            // `.none`, not `nil`: JSONValue is ExpressibleByNilLiteral, so `nil` would be `.null`.
            return mayBeWider ? .none : try parseDocument(bytes, skippingByteOrderMark: true)
        }
        if let utf8Value { return utf8Value }
        if var text = try transcodedToUTF8(data) {
            // Transcoded text keeps a byte order mark it may start with, as JSONDecoder's did.
            return try text.withUTF8 { try parseDocument($0, skippingByteOrderMark: false) }
        }
        return try data.withUnsafeBytes { raw in
            try parseDocument(raw.assumingMemoryBound(to: UInt8.self), skippingByteOrderMark: true)
        }
    }

    private static func parseDocument(
        _ bytes: UnsafeBufferPointer<UInt8>, skippingByteOrderMark: Bool
    ) throws -> JSONValue {
        let hasByteOrderMark =
            skippingByteOrderMark && bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        var parser = JSONParser(bytes: bytes, index: hasByteOrderMark ? 3 : 0)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
        return value
    }

    /// JSONDecoder also reads UTF-16 and UTF-32, recognised from the first four bytes (RFC 4627 §3:
    /// JSON text starts with two ASCII characters). Such text is transcoded here with the same
    /// rules, the same odd `FE FF 00 00` case included; nil means the text is UTF-8.
    private static func transcodedToUTF8(_ data: Data) throws -> String? {
        let first = Array(data.prefix(4))
        let byte = { (offset: Int) -> UInt8? in offset < first.count ? first[offset] : nil }
        let encoding: String.Encoding
        let byteOrderMarkLength: Int
        switch (byte(0), byte(1), byte(2), byte(3)) {
        case (0, 0, 0xFE, 0xFF): (encoding, byteOrderMarkLength) = (.utf32BigEndian, 4)
        case (0xFE, 0xFF, 0, 0): (encoding, byteOrderMarkLength) = (.utf32LittleEndian, 4)
        case (0xFE, 0xFF, _, _): (encoding, byteOrderMarkLength) = (.utf16BigEndian, 2)
        case (0xFF, 0xFE, _, _): (encoding, byteOrderMarkLength) = (.utf16LittleEndian, 2)
        case (0xEF, 0xBB, 0xBF, _): return nil
        case (0, 0, 0, .some(let last)) where last != 0: (encoding, byteOrderMarkLength) = (.utf32BigEndian, 0)
        case (0, .some(let a), 0, .some(let b)) where a != 0 && b != 0: (encoding, byteOrderMarkLength) = (.utf16BigEndian, 0)
        case (.some(let first), 0, 0, 0) where first != 0: (encoding, byteOrderMarkLength) = (.utf32LittleEndian, 0)
        case (.some(let a), 0, .some(let b), 0) where a != 0 && b != 0: (encoding, byteOrderMarkLength) = (.utf16LittleEndian, 0)
        case (0, .some(let last), nil, nil) where last != 0: (encoding, byteOrderMarkLength) = (.utf16BigEndian, 0)
        case (.some(let first), 0, nil, nil) where first != 0: (encoding, byteOrderMarkLength) = (.utf16LittleEndian, 0)
        default: return nil
        }
        guard let text = String(bytes: data.dropFirst(byteOrderMarkLength), encoding: encoding) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: [], debugDescription: "the JSON text is not valid \(encoding)"))
        }
        return text
    }

    // MARK: Values

    private mutating func parseValue() throws -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of the JSON text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected character")
        }
    }

    private mutating func expect(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw failure("unexpected end of the JSON text") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw failure("unexpected character")
        }
        index += count
    }

    private mutating func parseObject() throws -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return .object([:])
        }
        let base = pendingMembers.count
        defer { pendingMembers.removeSubrange(base...) }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw failure("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw failure("expected ':' after an object key") }
            index += 1
            skipWhitespace()
            pendingMembers.append((key, try parseValue()))
            skipWhitespace()
            if try endOfContainer(closedBy: UInt8(ascii: "}")) { break }
        }
        var members = [String: JSONValue](minimumCapacity: pendingMembers.count - base)
        for (key, value) in pendingMembers[base...] {
            // The first of two equal keys wins, as with JSONDecoder; one hash lookup when keys are distinct.
            if let first = members.updateValue(value, forKey: key) {
                members[key] = first
            }
        }
        return .object(members)
    }

    private mutating func parseArray() throws -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return .array([])
        }
        let base = pendingElements.count
        defer { pendingElements.removeSubrange(base...) }
        while true {
            pendingElements.append(try parseValue())
            skipWhitespace()
            if try endOfContainer(closedBy: UInt8(ascii: "]")) { break }
        }
        return .array(Array(pendingElements[base...]))
    }

    /// After a member or element: true at the closing bracket, false after a comma that another
    /// member follows. A comma right before the closing bracket is accepted, as JSONDecoder did.
    private mutating func endOfContainer(closedBy closing: UInt8) throws -> Bool {
        let next = try peek()
        if next == closing {
            index += 1
            return true
        }
        guard next == UInt8(ascii: ",") else { throw failure("expected ',' or '\(Character(Unicode.Scalar(closing)))'") }
        index += 1
        skipWhitespace()
        if try peek() == closing {
            index += 1
            return true
        }
        return false
    }

    private mutating func enterContainer() throws {
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        index += 1
    }

    // MARK: Strings

    private mutating func parseString() throws -> String {
        index += 1
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try makeString(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return try parseEscapedString(from: start) }
            guard byte >= 0x20 else { throw failure("unescaped control character in a string") }
            index += 1
        }
        throw failure("unterminated string")
    }

    /// The slow path for strings with escapes: the text is rebuilt in `unescaped`.
    private mutating func parseEscapedString(from start: Int) throws -> String {
        unescaped.removeAll(keepingCapacity: true)
        unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try unescaped.withUnsafeBufferPointer { try makeString($0) }
            case UInt8(ascii: "\\"):
                try parseEscape()
            case 0..<0x20:
                index -= 1
                throw failure("unescaped control character in a string")
            default:
                unescaped.append(byte)
            }
        }
        throw failure("unterminated string")
    }

    private mutating func parseEscape() throws {
        guard index < bytes.count else { throw failure("unterminated string") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(byte)
        case UInt8(ascii: "b"): unescaped.append(0x08)
        case UInt8(ascii: "f"): unescaped.append(0x0C)
        case UInt8(ascii: "n"): unescaped.append(0x0A)
        case UInt8(ascii: "r"): unescaped.append(0x0D)
        case UInt8(ascii: "t"): unescaped.append(0x09)
        case UInt8(ascii: "u"): try parseUnicodeEscape()
        default:
            index -= 1
            throw failure("invalid escape in a string")
        }
    }

    /// `\uXXXX`, where a UTF-16 surrogate must come as a high-low pair (a lone one is an error, as it was).
    private mutating func parseUnicodeEscape() throws {
        let unit = try parseHexQuad()
        var scalarValue = UInt32(unit)
        if UTF16.isLeadSurrogate(unit) {
            guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { throw failure("a high surrogate escape without its low surrogate") }
            index += 2
            let low = try parseHexQuad()
            guard UTF16.isTrailSurrogate(low) else { throw failure("a high surrogate escape without its low surrogate") }
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        } else if UTF16.isTrailSurrogate(unit) {
            throw failure("a low surrogate escape without its high surrogate")
        }
        guard let scalar = Unicode.Scalar(scalarValue) else { throw failure("invalid unicode escape") }
        UTF8.encode(scalar) { unescaped.append($0) }
    }

    private mutating func parseHexQuad() throws -> UInt16 {
        guard bytes.count - index >= 4 else { throw failure("unterminated string") }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid hex digit in a unicode escape")
            }
            unit = unit << 4 | UInt16(digit)
            index += 1
        }
        return unit
    }

    /// Raw string bytes must be valid UTF-8 (no overlong forms, no encoded surrogates), as before.
    private func makeString(_ utf8: UnsafeBufferPointer<UInt8>) throws -> String {
        guard Self.isValidUTF8(utf8) else { throw failure("a string that is not valid UTF-8") }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Well-formed UTF-8 as Unicode defines it (table 3-7). Hand-written because the standard
    /// library's `String(validating:as:)` is generic and resolves type metadata on every call.
    static func isValidUTF8(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        var position = 0
        while position < utf8.count {
            let lead = utf8[position]
            if lead < 0x80 {
                position += 1
                continue
            }
            // The allowed range of the second byte excludes overlong forms, surrogates and values past U+10FFFF.
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: (length, second) = (3, 0xA0...0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: (length, second) = (3, 0x80...0x9F)
            case 0xF0: (length, second) = (4, 0x90...0xBF)
            case 0xF1...0xF3: length = 4
            case 0xF4: (length, second) = (4, 0x80...0x8F)
            default: return false
            }
            guard utf8.count - position >= length, second.contains(utf8[position + 1]) else { return false }
            for offset in 2..<length where utf8[position + offset] & 0xC0 != 0x80 { return false }
            position += length
        }
        return true
    }

    // MARK: Helpers

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    private func peek() throws -> UInt8 {
        guard index < bytes.count else { throw failure("unexpected end of the JSON text") }
        return bytes[index]
    }

    /// `DecodingError`, as `JSONValue(parsing:)` has always documented, so callers see no change.
    func failure(_ reason: String) -> DecodingError {
        DecodingError.dataCorrupted(
            DecodingError.Context(
                codingPath: [], debugDescription: "The given data was not valid JSON: \(reason) at byte \(index)."))
    }
}
