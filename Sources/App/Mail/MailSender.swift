import Foundation
import NIOPosix

/// Sends the service's mail as configured: over SMTP with libcurl, or into the development
/// mailbox directory. Every blocking step (libcurl's whole exchange, file writes) runs on the
/// sender's own threads, never on an event loop or the cooperative pool.
public final class MailSender: Sendable {
    /// What a delivered message left behind, for logs and the operator's `mail test`.
    public struct Receipt: Sendable {
        public let messageID: String
        /// The `.eml` file written in development-mailbox mode.
        public let file: String?
    }

    public let from: MailMailbox
    private let delivery: MailConfiguration.Delivery
    private let threadPool: NIOThreadPool

    /// Nil when `configuration` has mail disabled. Two threads: sign-in mail is rare, and a
    /// slow relay must not hold up more than that.
    public init?(configuration: MailConfiguration, threads: Int = 2) {
        guard let delivery = configuration.delivery else { return nil }
        self.delivery = delivery
        self.from = configuration.from
        threadPool = NIOThreadPool(numberOfThreads: max(1, threads))
        threadPool.start()
    }

    deinit {
        // Idempotent; covers senders dropped without `shutdown()`.
        threadPool.shutdownGracefully { _ in }
    }

    /// Where mail goes, safe to print (never a password).
    public var destination: String {
        switch delivery {
        case .smtp(let server): server.description
        case .dropDirectory(let directory): "development mailbox \(directory)"
        }
    }

    /// Renders and delivers `message`. Throws only `MailError`.
    public func send(_ message: MailMessage, date: Date = Date()) async throws(MailError) -> Receipt {
        let messageID = MailMessage.newMessageID(domain: from.address.domain)
        let bytes = message.rendered(from: from, date: date, messageID: messageID)
        let delivery = self.delivery
        let sender = from.address
        let outcome: Result<String?, MailError>
        do {
            outcome = try await threadPool.runIfActive { () -> Result<String?, MailError> in
                switch delivery {
                case .smtp(let server):
                    if let error = SMTPExchange.send(bytes, from: sender, to: message.to, via: server) {
                        return .failure(error)
                    }
                    return .success(nil)
                case .dropDirectory(let directory):
                    return MailDropDirectory.write(bytes, into: directory, date: date).map { Optional($0) }
                }
            }
        } catch {
            throw MailError(.unavailable, "the mail sender is shut down")
        }
        return Receipt(messageID: messageID, file: try outcome.get())
    }

    public func shutdown() async {
        try? await threadPool.shutdownGracefully()
    }
}
