import Foundation
import JSON

/// A Swift type that can be read from a column in text format. `text` is nil for SQL NULL.
public protocol PostgresDecodable: Sendable {
    static func decode(postgresText text: String?) throws -> Self
}

struct PostgresDecodingFailure: Error, CustomStringConvertible {
    let description: String
}

extension PostgresDecodable {
    static func nonNull(_ text: String?) throws -> String {
        guard let text else { throw PostgresDecodingFailure(description: "unexpected NULL for \(Self.self)") }
        return text
    }
    static func failure(_ text: String) -> PostgresDecodingFailure {
        PostgresDecodingFailure(description: "not a valid \(Self.self) (\(text.count) characters)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText text: String?) throws -> Self {
        guard let text else { return nil }
        return try Wrapped.decode(postgresText: text)
    }
}

extension String: PostgresDecodable {
    public static func decode(postgresText text: String?) throws -> String { try nonNull(text) }
}

extension Int: PostgresDecodable {
    public static func decode(postgresText text: String?) throws -> Int {
        let text = try nonNull(text)
        guard let value = Int(text) else { throw failure(text) }
        return value
    }
}

extension Int64: PostgresDecodable {
    public static func decode(postgresText text: String?) throws -> Int64 {
        let text = try nonNull(text)
        guard let value = Int64(text) else { throw failure(text) }
        return value
    }
}

extension Double: PostgresDecodable {
    public static func decode(postgresText text: String?) throws -> Double {
        let text = try nonNull(text)
        guard let value = Double(text) else { throw failure(text) }
        return value
    }
}

extension Bool: PostgresDecodable {
    public static func decode(postgresText text: String?) throws -> Bool {
        switch try nonNull(text) {
        case "t": return true
        case "f": return false
        case let other: throw failure(other)
        }
    }
}

extension UUID: PostgresDecodable {
    public static func decode(postgresText text: String?) throws -> UUID {
        let text = try nonNull(text)
        guard let value = UUID(uuidString: text) else { throw failure(text) }
        return value
    }
}

extension Date: PostgresDecodable {
    public static func decode(postgresText text: String?) throws -> Date {
        let text = try nonNull(text)
        guard let value = PostgresTimestamp.parse(text) else { throw failure(text) }
        return value
    }
}

extension [UInt8]: PostgresDecodable {
    /// bytea in hex output format (`\x0a1b…`), the server default since 9.0.
    public static func decode(postgresText text: String?) throws -> [UInt8] {
        let text = try nonNull(text)
        let hex = Array(text.utf8)
        guard hex.count >= 2, hex[0] == UInt8(ascii: "\\"), hex[1] == UInt8(ascii: "x"), hex.count % 2 == 0 else {
            throw failure(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((hex.count - 2) / 2)
        var index = 2
        while index < hex.count {
            guard let high = hexNibble(hex[index]), let low = hexNibble(hex[index + 1]) else { throw failure(text) }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexNibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return char - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension PostgresTextArray: PostgresDecodable {
    /// A one-dimensional text[] literal: `{a,"b c"}`. NULL elements are not allowed.
    public static func decode(postgresText text: String?) throws -> PostgresTextArray {
        let text = try nonNull(text)
        var chars = Array(text)
        guard chars.first == "{", chars.last == "}" else { throw failure(text) }
        chars = Array(chars.dropFirst().dropLast())
        var result: [String] = []
        var current = ""
        var quoted = false
        var wasQuoted = false
        var index = 0
        while index < chars.count {
            let char = chars[index]
            if quoted {
                if char == "\\", index + 1 < chars.count {
                    index += 1
                    current.append(chars[index])
                } else if char == "\"" {
                    quoted = false
                } else {
                    current.append(char)
                }
            } else if char == "\"" {
                quoted = true
                wasQuoted = true
            } else if char == "," {
                if !wasQuoted && current == "NULL" { throw failure(text) }
                result.append(current)
                current = ""
                wasQuoted = false
            } else {
                current.append(char)
            }
            index += 1
        }
        if !chars.isEmpty {
            if !wasQuoted && current == "NULL" { throw failure(text) }
            result.append(current)
        }
        return PostgresTextArray(result)
    }
}

extension JSONValue: PostgresDecodable {
    /// json or jsonb.
    public static func decode(postgresText text: String?) throws -> JSONValue {
        let text = try nonNull(text)
        return try JSONValue(parsing: Data(text.utf8))
    }
}
