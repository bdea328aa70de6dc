/// The body OrderDesk's "Post Order JSON" rule action sends: `application/x-www-form-urlencoded`
/// with the order as JSON in the one field `order`.
///
/// The field's value is kept as the exact bytes it decodes to: OrderDesk's hash is over those bytes
/// (`hash_hmac('sha256', $_POST['order'], API_KEY)`), so nothing may be re-encoded before it is
/// checked.
public enum WebhookForm {
    public enum Failure: Error, Equatable, Sendable {
        /// No `order` field.
        case missingOrder
        /// `order` appears more than once: which one was signed is ambiguous.
        case repeatedOrder
        /// A `%` not followed by two hex digits.
        case malformedEncoding
    }

    /// The decoded bytes of the body's `order` field. Other fields are ignored, as OrderDesk's own
    /// examples ignore them.
    public static func orderField(_ body: [UInt8]) throws(Failure) -> [UInt8] {
        var found: [UInt8]?
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = try decode(pair[pair.startIndex..<(equals ?? pair.endIndex)])
            guard name == Array("order".utf8) else { continue }
            guard found == nil else { throw .repeatedOrder }
            if let equals { found = try decode(pair[pair.index(after: equals)...]) } else { found = [] }
        }
        guard let found else { throw .missingOrder }
        return found
    }

    /// Form decoding: `+` is a space, `%XX` a byte; every other byte stands for itself.
    static func decode(_ encoded: ArraySlice<UInt8>) throws(Failure) -> [UInt8] {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let byte = encoded[index]
            switch byte {
            case UInt8(ascii: "+"):
                decoded.append(UInt8(ascii: " "))
                index += 1
            case UInt8(ascii: "%"):
                guard encoded.distance(from: index, to: encoded.endIndex) >= 3,
                    let high = hexValue(encoded[index + 1]), let low = hexValue(encoded[index + 2])
                else { throw .malformedEncoding }
                decoded.append(high << 4 | low)
                index += 3
            default:
                decoded.append(byte)
                index += 1
            }
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
