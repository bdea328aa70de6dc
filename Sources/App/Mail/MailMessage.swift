/// One plain-text message to one recipient, checked on creation so that rendering it can never
/// add a header line: the subject may not hold CR, LF, NUL or any other control character, and the
/// recipient is a validated `MailAddress`. The body is free text; any line ending becomes CRLF.
public struct MailMessage: Sendable, Hashable {
    public let to: MailAddress
    public let subject: String
    public let body: String

    /// The longest subject accepted, in UTF-8 bytes (a subject is a short line, not a document).
    public static let maxSubjectBytes = 400
    /// The longest body accepted, in UTF-8 bytes.
    public static let maxBodyBytes = 256 * 1024

    public init(to: MailAddress, subject: String, body: String) throws(MailError) {
        try Self.checkHeaderText(subject, field: "subject", maxBytes: Self.maxSubjectBytes)
        guard body.utf8.count <= Self.maxBodyBytes else {
            throw MailError(.invalidHeader, "the message body is longer than \(Self.maxBodyBytes) bytes")
        }
        self.to = to
        self.subject = subject
        self.body = body
    }

    /// Refuses text that would break out of a header: CR, LF, NUL and every other control character
    /// (tab included, so nothing needs folding rules), and text over `maxBytes`.
    static func checkHeaderText(_ text: String, field: String, maxBytes: Int) throws(MailError) {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            throw MailError(.invalidHeader, "the \(field) holds a line break or another control character")
        }
        guard text.utf8.count <= maxBytes else {
            throw MailError(.invalidHeader, "the \(field) is longer than \(maxBytes) bytes")
        }
    }
}
