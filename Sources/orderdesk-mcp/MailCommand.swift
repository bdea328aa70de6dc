import App
import ArgumentParser
import Foundation

/// `orderdesk-mcp mail test --to ADDRESS`: sends one short message with the configured mail
/// settings (`SMTP_URL`/`MAIL_FROM` or `MAIL_DROP_DIR`), so an operator can check them before
/// anyone needs a sign-in link. Needs no database.
struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "Check the outgoing mail settings.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a short test message with SMTP_URL and MAIL_FROM (or into MAIL_DROP_DIR).")
        @Option(help: "The address to send the test message to.") var to: String
        @Option(help: "The subject (default: a fixed one with a non-ASCII character).")
        var subject = "OrderDesk MCP test message — ✓"

        func run() async throws {
            try await reportingFailures {
                let recipient: MailAddress
                do {
                    recipient = try MailAddress(to)
                } catch {
                    throw ValidationError("--to must be an e-mail address like someone@example.com")
                }
                guard let sender = MailSender(configuration: try MailConfiguration(reader: EnvironmentReader())) else {
                    throw ConfigurationError(
                        variable: "SMTP_URL",
                        problem: "mail is disabled: set SMTP_URL and MAIL_FROM, or MAIL_DROP_DIR for a development mailbox")
                }
                // A non-ASCII line and a line starting with a dot: a relay that mangles UTF-8 or
                // SMTP transparency shows it here, before a sign-in link is lost to it.
                let message = try MailMessage(
                    to: recipient, subject: subject,
                    body: "This is a test message from orderdesk-mcp (`orderdesk-mcp mail test`).\n"
                        + "Grüße — if this line and the next arrive unchanged, sign-in links will too.\n"
                        + ".this line starts with a dot\n")
                do {
                    let receipt = try await sender.send(message)
                    await sender.shutdown()
                    if let file = receipt.file {
                        print("wrote the test message to \(file)")
                    } else {
                        print("sent the test message \(receipt.messageID) to \(recipient) through \(sender.destination)")
                    }
                } catch {
                    await sender.shutdown()
                    throw error
                }
            }
        }
    }
}
