import Foundation
import JSON

/// One bound parameter of a statement: its type OID (0 lets the server infer it) and its bytes.
public struct PostgresBind: Sendable {
    public var typeOID: UInt32
    /// nil is SQL NULL.
    public var bytes: [UInt8]?
    /// Binary format (only for bytea, whose text form would double the size).
    public var isBinary: Bool

    public init(typeOID: UInt32, bytes: [UInt8]?, isBinary: Bool = false) {
        self.typeOID = typeOID
        self.bytes = bytes
        self.isBinary = isBinary
    }

    static func text(_ oid: UInt32, _ text: String) -> PostgresBind {
        PostgresBind(typeOID: oid, bytes: Array(text.utf8))
    }
    public static let null = PostgresBind(typeOID: 0, bytes: nil)
}

/// A Swift value that can be bound as a statement parameter.
public protocol PostgresEncodable: Sendable {
    var postgresBind: PostgresBind { get }
}

extension String: PostgresEncodable {
    /// Unknown type (OID 0): the server infers text, uuid, inet… from the column it meets.
    public var postgresBind: PostgresBind { .text(0, self) }
}
extension Int: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(20, String(self)) }
}
extension Int32: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(23, String(self)) }
}
extension Int64: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(20, String(self)) }
}
extension Double: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(701, String(self)) }
}
extension Bool: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(16, self ? "t" : "f") }
}
extension UUID: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(2950, uuidString.lowercased()) }
}
extension Date: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(1184, PostgresTimestamp.format(self)) }
}
extension [UInt8]: PostgresEncodable {
    /// bytea, sent in binary format.
    public var postgresBind: PostgresBind { PostgresBind(typeOID: 17, bytes: self, isBinary: true) }
}
/// A text[] value. (A wrapper, because `[UInt8]` already claims Array's conformance as bytea.)
public struct PostgresTextArray: Sendable, Hashable {
    public var elements: [String]
    public init(_ elements: [String]) { self.elements = elements }
}

extension PostgresTextArray: PostgresEncodable {
    /// PostgreSQL's array literal syntax with every element quoted.
    public var postgresBind: PostgresBind {
        let elements = elements.map { element in
            "\"" + element.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        return .text(1009, "{" + elements.joined(separator: ",") + "}")
    }
}
extension JSONValue: PostgresEncodable {
    /// jsonb.
    public var postgresBind: PostgresBind { PostgresBind(typeOID: 3802, bytes: Array(encoded())) }
}
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresBind: PostgresBind {
        switch self {
        case .none: return .null
        case .some(let value): return value.postgresBind
        }
    }
}
