import Foundation

/// Trimming for the per-request path. Foundation's `trimmingCharacters(in:)` costs microseconds even
/// when there is nothing to trim, which is nearly always: a text whose first and last characters are
/// ASCII and neither space nor tab is returned as it is, anything else is trimmed by Foundation.
public enum TrimmedText {
    /// `text` without `CharacterSet.whitespaces` (space, tab, Unicode space separators) at either end.
    public static func withoutSpaceAround(_ text: some StringProtocol) -> String {
        let text = Substring(text)
        guard let first = text.utf8.first, let last = text.utf8.last, isPlainASCII(first), isPlainASCII(last) else {
            return text.trimmingCharacters(in: .whitespaces)
        }
        return String(text)
    }

    /// An ASCII byte that is not in `CharacterSet.whitespaces` (of ASCII, only space and tab are).
    private static func isPlainASCII(_ byte: UInt8) -> Bool {
        byte < 0x80 && byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t")
    }
}
