/// An e-mail address in its plain `local@domain` form (RFC 5321 dot-atom, ASCII only), the only
/// form this service sends to or from. Quoted local parts, comments, domain literals and
/// internationalised addresses are refused rather than half-supported: whatever passes is safe to
/// put in an SMTP envelope and a header as it is, so it can never inject a header or a command.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    /// Validates `text` (surrounding blanks are not trimmed: they are an error).
    public init(_ text: String) throws(MailError) {
        guard Self.isValid(text) else {
            throw MailError(.invalidAddress, "not a valid e-mail address (expected local@domain, ASCII only)")
        }
        value = text
    }

    /// The part after the `@`.
    public var domain: Substring { value[value.index(after: value.lastIndex(of: "@")!)...] }

    public var description: String { value }

    private static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard (1...64).contains(local.count), isDotAtom(local) else { return false }
        guard (1...253).contains(domain.count) else { return false }
        return domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy(isHostLabel)
    }

    /// RFC 5322 dot-atom: atext runs separated by single dots.
    private static func isDotAtom(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.allSatisfy(isAtext)
        }
    }

    private static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: Array("!#$%&'*+-/=?^_`{|}~".utf8).contains(byte)
        }
    }

    /// A DNS label: letters, digits and inner hyphens, 1 to 63 bytes.
    static func isHostLabel(_ label: ArraySlice<UInt8>) -> Bool {
        guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
            return false
        }
        return label.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }
}
