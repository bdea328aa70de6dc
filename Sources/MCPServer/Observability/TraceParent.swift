import Foundation

/// W3C Trace Context `traceparent` (`version-traceid-parentid-flags`), as an OpenTelemetry caller
/// passes it in a request's `_meta` (or the HTTP header). It only labels logs and audit rows, so a
/// malformed value is dropped, never refused.
public struct TraceParent: Sendable, Equatable {
    /// The normalised 55-character form (`00-<32 hex>-<16 hex>-<2 hex>`, lowercase).
    public let value: String
    /// The 32 hex digits that name the whole trace.
    public var traceID: Substring { value.dropFirst(3).prefix(32) }

    /// Parses per the spec: version `ff` is invalid, an all-zero trace or parent id is invalid, and
    /// a future version may append fields after the first 55 characters (which are kept).
    public init?(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        let utf8 = Array(text.utf8)
        guard utf8.count >= 55, utf8.count <= 256 else { return nil }
        let head = Array(utf8[0..<55])
        let isHex: (UInt8) -> Bool = { (48...57).contains($0) || (97...102).contains($0) }
        for (index, byte) in head.enumerated() {
            switch index {
            case 2, 35, 52: guard byte == UInt8(ascii: "-") else { return nil }
            default: guard isHex(byte) else { return nil }
            }
        }
        let version = String(decoding: head[0..<2], as: UTF8.self)
        guard version != "ff" else { return nil }
        if version == "00" && utf8.count != 55 { return nil }
        if utf8.count > 55 && utf8[55] != UInt8(ascii: "-") { return nil }
        let traceID = head[3..<35]
        let parentID = head[36..<52]
        guard traceID.contains(where: { $0 != UInt8(ascii: "0") }), parentID.contains(where: { $0 != UInt8(ascii: "0") })
        else { return nil }
        value = String(decoding: head, as: UTF8.self)
    }
}
