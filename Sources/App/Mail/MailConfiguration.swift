/// How the sign-in mail leaves the service: over SMTP, into a development mailbox directory, or
/// not at all (the default: nothing is configured, so nothing can be sent).
public struct MailConfiguration: Sendable {
    public enum Delivery: Sendable {
        case smtp(SMTPServer)
        /// Each message is written as an `.eml` file into this directory instead of being sent.
        case dropDirectory(String)
    }

    /// Nil when mail is disabled.
    public var delivery: Delivery?
    public var from: MailMailbox

    public init(delivery: Delivery?, from: MailMailbox) {
        self.delivery = delivery
        self.from = from
    }

    /// The sender used in the development mailbox when `MAIL_FROM` is not set.
    public static let developmentSender = "OrderDesk MCP <noreply@localhost>"

    /// Reads the mail settings. Give exactly one of `SMTP_URL` and `MAIL_DROP_DIR`, or neither to
    /// leave mail disabled.
    ///
    /// | variable | default | meaning |
    /// |---|---|---|
    /// | `SMTP_URL` | — | `smtp://[user:password@]host[:port][/ehlo-name]` (STARTTLS required unless the host is loopback) or `smtps://…` (implicit TLS); credentials only here, percent-encoded |
    /// | `MAIL_FROM` | — (required with `SMTP_URL`) | `noreply@example.com` or `OrderDesk <noreply@example.com>` |
    /// | `SMTP_ALLOW_PLAINTEXT` | `false` | let `smtp://` reach a non-loopback host without STARTTLS (it is still used when offered) |
    /// | `SMTP_CONNECT_TIMEOUT_MS` | `10000` | connection and TLS setup limit |
    /// | `SMTP_TIMEOUT_MS` | `30000` | limit on one whole message exchange |
    /// | `MAIL_DROP_DIR` | — | development mailbox: write each message to `<dir>/<time>-<id>.eml` instead of sending |
    public init(reader: EnvironmentReader) throws {
        let smtpURL = reader.text("SMTP_URL")
        let dropDirectory = reader.text("MAIL_DROP_DIR")
        if smtpURL != nil, dropDirectory != nil {
            throw ConfigurationError(
                variable: "MAIL_DROP_DIR",
                problem: "set either SMTP_URL (real mail) or MAIL_DROP_DIR (development mailbox), not both")
        }
        let fromText = reader.text("MAIL_FROM")
        if smtpURL != nil, fromText == nil {
            throw ConfigurationError(
                variable: "MAIL_FROM",
                problem: "must be set with SMTP_URL, like noreply@example.com or OrderDesk <noreply@example.com>")
        }
        do {
            from = try MailMailbox(parsing: fromText ?? Self.developmentSender)
        } catch {
            throw ConfigurationError(
                variable: "MAIL_FROM", problem: "must be an address like noreply@example.com or OrderDesk <noreply@example.com>")
        }
        if let smtpURL {
            var server = try SMTPServer(
                parsing: smtpURL, ehloDefault: from.address.domain,
                allowPlaintext: try reader.flag("SMTP_ALLOW_PLAINTEXT", default: false))
            server.connectTimeout = .milliseconds(
                try reader.integer("SMTP_CONNECT_TIMEOUT_MS", default: 10_000, range: 100...300_000))
            server.timeout = .milliseconds(try reader.integer("SMTP_TIMEOUT_MS", default: 30_000, range: 1000...600_000))
            delivery = .smtp(server)
        } else if let dropDirectory {
            delivery = .dropDirectory(dropDirectory)
        } else {
            delivery = nil
        }
    }
}
