import App
import Logging

/// Sends the sign-in mail off the request path: `POST /signin` answers at once, the same way for
/// every address, while a detached task looks the address up, makes the links and sends one mail
/// (none for an address that is no member), so neither the answer nor its timing tells whether
/// the address belongs to anyone.
struct SignInMail: Sendable {
    static let subject = "Sign in to OrderDesk MCP"

    let sender: MailSender?
    let links: MagicLinkStore
    let issuer: String
    let logger: Logger

    /// Whether mail can be sent at all (`SMTP_URL` or `MAIL_DROP_DIR`).
    var isEnabled: Bool { sender != nil }

    /// Starts the lookup and the delivery; returns before either happens.
    func dispatch(to email: MemberEmail, binding: String, requestID: String?, correlationID: String) {
        guard let sender else { return }
        let links = self.links
        let issuer = self.issuer
        let logger = self.logger
        Task.detached {
            do {
                let issues = try await links.issue(to: email, binding: binding)
                guard !issues.isEmpty else { return }
                let message = try MailMessage(
                    to: try MailAddress(email.address), subject: Self.subject,
                    body: Self.body(issues, issuer: issuer, requestID: requestID, minutes: Int(links.ttl.components.seconds / 60))
                )
                _ = try await sender.send(message)
            } catch {
                // The error never holds the link (MailError names the server only; store errors no token).
                logger.error("could not send a sign-in mail", metadata: ["request_id": "\(correlationID)", "error": "\(error)"])
            }
        }
    }

    /// One line per tenant: `Tenant name: BASE/signin/link?token=…&request=…`.
    static func body(_ issues: [MagicLinkIssue], issuer: String, requestID: String?, minutes: Int) -> String {
        let lines = issues.map { issue in
            var pairs = [("token", issue.token)]
            if let requestID { pairs.append(("request", requestID)) }
            let name = String(
                issue.tenantName.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
            return "\(name): \(issuer)/signin/link?\(URLQuery.encode(pairs))"
        }
        let which = issues.count == 1 ? "Open this link" : "Open the link of the tenant you want to sign in for"
        return """
            Someone asked to sign in to OrderDesk MCP with this address.

            \(which) in the browser where you asked for it, within \(minutes) minutes. It works once.

            \(lines.joined(separator: "\n"))

            If you did not ask for this, ignore this mail: nothing happens without the link.

            """
    }
}
