import Foundation

extension MailMessage {
    /// The message as RFC 5322 bytes with CRLF line endings, ready for `DATA` or an `.eml` file.
    ///
    /// Dot-stuffing is not done here: libcurl does it while sending, and an `.eml` file must not
    /// have it. A body that is printable ASCII with lines of at most 998 bytes goes as `7bit`, so a
    /// sign-in link stays one line a person can copy from the development mailbox; anything else
    /// goes as quoted-printable, which keeps every line short and every byte 7-bit.
    public func rendered(from: MailMailbox, date: Date, messageID: String) -> [UInt8] {
        let lines = Self.lines(of: body)
        let plain = lines.allSatisfy { line in
            line.utf8.count <= 998 && line.utf8.allSatisfy { $0 == 0x09 || (0x20...0x7E).contains($0) }
        }
        var headers = [
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: \(messageID)",
            "From: \(Self.mailbox(from))",
            "To: \(to.value)",
            "Subject: \(Self.headerText(subject, prefixLength: "Subject: ".utf8.count))",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ]
        headers.append("Content-Transfer-Encoding: \(plain ? "7bit" : "quoted-printable")")
        let bodyLines = plain ? lines : lines.flatMap(QuotedPrintable.encode)
        return Array((headers + [""] + bodyLines).joined(separator: "\r\n").utf8) + Array("\r\n".utf8)
    }

    /// A new `Message-ID` (128 random bits) in the sender's domain.
    public static func newMessageID(domain: Substring) -> String {
        let random = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "<\(random)@\(domain)>"
    }

    /// The body's lines, whatever line endings it used (CRLF, LF or a lone CR). A final line
    /// break ends the last line rather than starting an empty one.
    static func lines(of text: String) -> [String] {
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.count > 1, lines.last == "" { lines.removeLast() }
        return lines
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    static func mailbox(_ mailbox: MailMailbox) -> String {
        guard let name = mailbox.name else { return mailbox.address.value }
        let quoted: String
        if name.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) {
            quoted = "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        } else {
            quoted = headerText(name, prefixLength: "From: ".utf8.count)
        }
        return "\(quoted) <\(mailbox.address.value)>"
    }

    /// Header text as it is when it is short printable ASCII, else as RFC 2047 `B` encoded-words
    /// of whole characters, at most 75 bytes each, one per folded line, every line at most 78
    /// bytes (the first one counting the `prefixLength` of the field name before it).
    static func headerText(_ text: String, prefixLength: Int) -> String {
        if prefixLength + text.utf8.count <= 78, text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }),
            !text.contains("=?")
        {
            return text
        }
        // "=?utf-8?B?" + base64 + "?=" is at most 75 bytes when the base64 is at most 60 (45 bytes);
        // the first word shares its line with the field name, so it holds less.
        var words: [String] = []
        var chunk: [UInt8] = []
        var limit: Int { words.isEmpty ? max(3, (78 - prefixLength - 12) / 4 * 3) : 45 }
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > limit {
                words.append(encodedWord(chunk))
                chunk = []
            }
            // A single character over 45 bytes (a long emoji sequence) goes out by scalars instead.
            if bytes.count > limit {
                for scalar in String(character).unicodeScalars {
                    let scalarBytes = Array(String(scalar).utf8)
                    if !chunk.isEmpty, chunk.count + scalarBytes.count > limit {
                        words.append(encodedWord(chunk))
                        chunk = []
                    }
                    chunk += scalarBytes
                }
            } else {
                chunk += bytes
            }
        }
        if !chunk.isEmpty { words.append(encodedWord(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?utf-8?B?\(Data(bytes).base64EncodedString())?="
    }
}
