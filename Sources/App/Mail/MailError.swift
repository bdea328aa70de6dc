/// Why a message could not be built or delivered. The message says what to check; it names the
/// server as `scheme://host:port` at most and never carries a password, a message body or a
/// server reply (which can quote either).
public struct MailError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// An address that is not a plain `local@domain` (or holds CR, LF, NUL).
        case invalidAddress = "invalid_address"
        /// A subject or display name holding CR, LF, NUL or another control character, or too long.
        case invalidHeader = "invalid_header"
        /// No TCP connection to the SMTP server (refused, unresolvable, unreachable).
        case connectFailed = "connect_failed"
        /// TLS could not be set up, or the certificate was not trusted, or STARTTLS was required and not offered.
        case tlsFailed = "tls_failed"
        /// The server refused the SMTP_URL credentials.
        case authenticationFailed = "authentication_failed"
        /// The server refused the envelope sender (`MAIL FROM`).
        case senderRefused = "sender_refused"
        /// The server refused the recipient (`RCPT TO`).
        case recipientRefused = "recipient_refused"
        case timedOut = "timed_out"
        /// Anything else the SMTP exchange ended with.
        case deliveryFailed = "delivery_failed"
        /// `MAIL_DROP_DIR` could not be created or written.
        case dropDirectoryFailed = "drop_directory_failed"
        /// The sender was shut down, or libcurl could not start.
        case unavailable
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
