import Foundation

/// JSON text in and out. Both directions are hand-written (`JSONParser`, `JSONWriter`) rather than
/// Codable: they run on every request, and Foundation's coders cost about a third of its CPU.
extension JSONValue {
    /// Parses UTF-8 JSON text. Throws `DecodingError` for anything that is not JSON.
    public init(parsing data: Data) throws {
        self = try JSONParser.parse(data)
    }

    /// Compact JSON text with sorted keys, so equal values always encode to equal bytes
    /// (cache keys and checksums depend on this).
    public func encoded() -> Data {
        // Only non-finite doubles (which JSON cannot carry) and 512 nested levels fail, as with JSONEncoder.
        guard let bytes = JSONWriter.serialize(self) else { return Data("null".utf8) }
        return Data(bytes)
    }

    public func encodedString() -> String {
        guard let bytes = JSONWriter.serialize(self) else { return "null" }
        return String(decoding: bytes, as: UTF8.self)
    }
}
