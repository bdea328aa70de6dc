import Logging
import Postgres

/// What the browser sign-in keeps running between requests: the sign-in mail queue and its mail
/// sender, and the Client ID Metadata Document fetcher. Each owns threads or a worker, so the server
/// makes them once (`ServerServices.signIn`) and closes them in its ordered shutdown, after the HTTP
/// server has finished its requests and before the database pool closes: queued mails are sent
/// first (within a deadline), then the sender's and the fetcher's threads end.
public final class SignInServices: Sendable {
    public let links: MagicLinkStore
    /// Nil when no mail can be sent (`SMTP_URL` / `MAIL_DROP_DIR` unset).
    public let sender: MailSender?
    public let mail: SignInMailQueue?
    public let fetcher: ClientMetadataFetcher

    /// - Parameter issuer: `PUBLIC_BASE_URL`, the base of every mailed link.
    public init(settings: SignInConfiguration, database: Database, issuer: String, logger: Logger) {
        links = MagicLinkStore(database: database, ttl: settings.magicLinkTTL)
        sender = MailSender(configuration: settings.mail)
        mail = sender.map { [links] in
            SignInMailQueue(sender: $0, links: links, issuer: issuer, logger: logger)
        }
        fetcher = ClientMetadataFetcher(configuration: settings.clientMetadata)
    }

    /// Stops taking sign-in mail, sends what is queued (until `deadline`), then closes the sender
    /// and the fetcher.
    public func shutdown(deadline: Duration = .seconds(10)) async {
        await mail?.shutdown(deadline: deadline)
        await sender?.shutdown()
        await fetcher.shutdown()
    }
}
