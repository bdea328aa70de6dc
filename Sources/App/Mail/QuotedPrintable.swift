/// RFC 2045 §6.7 quoted-printable, one body line at a time (the caller joins lines with CRLF,
/// which are the hard line breaks).
enum QuotedPrintable {
    /// The encoded form of one line: soft breaks keep every output line at 76 bytes or less, and a
    /// space or tab at the end of a line is encoded so no transport can strip it.
    static func encode(_ line: String) -> [String] {
        let bytes = Array(line.utf8)
        var output: [String] = []
        var current = ""
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let token: String
            switch byte {
            case 0x21...0x3C, 0x3E...0x7E: token = String(UnicodeScalar(byte))
            case 0x20 where !isLast, 0x09 where !isLast: token = String(UnicodeScalar(byte))
            default: token = "=" + hex(byte)
            }
            // Room for the soft-break "=" unless this is the line's last token.
            let limit = isLast ? 76 : 75
            if current.utf8.count + token.utf8.count > limit {
                output.append(current + "=")
                current = ""
            }
            current += token
        }
        output.append(current)
        return output
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
