/// The settings of the browser side of OAuth sign-in (authorize, magic-link sign-in, consent),
/// read only when `PUBLIC_BASE_URL` is set.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `OAUTH_CODE_TTL_SECONDS` | `60` (10–600) | lifetime of an authorization code issued on consent |
/// | `MAGIC_LINK_TTL_SECONDS` | `900` (60–3600) | lifetime of a sign-in link (and of the browser-binding cookie) |
/// | `WEB_SESSION_TTL_SECONDS` | `28800` (300–604800) | lifetime of a signed-in browser session |
/// | `SIGNIN_PER_ADDRESS_PER_HOUR` | `5` (1–1000) | sign-in mails one address may ask for per hour and replica |
/// | `SIGNIN_PER_IP_PER_HOUR` | `30` (1–100000) | sign-in requests one client address may make per hour and replica |
///
/// plus the mail settings (`MailConfiguration`) and the client metadata fetch settings
/// (`ClientMetadataFetchConfiguration`).
public struct SignInConfiguration: Sendable {
    public var codeTTL: Duration
    public var magicLinkTTL: Duration
    public var webSessionTTL: Duration
    public var perAddressPerHour: Int
    public var perIPPerHour: Int
    public var mail: MailConfiguration
    public var clientMetadata: ClientMetadataFetchConfiguration

    public init(reader: EnvironmentReader) throws {
        codeTTL = .seconds(try reader.integer("OAUTH_CODE_TTL_SECONDS", default: 60, range: 10...600))
        magicLinkTTL = try MagicLinkStore.ttl(reader: reader)
        webSessionTTL = try WebSessionStore.ttl(reader: reader)
        perAddressPerHour = try reader.integer("SIGNIN_PER_ADDRESS_PER_HOUR", default: 5, range: 1...1000)
        perIPPerHour = try reader.integer("SIGNIN_PER_IP_PER_HOUR", default: 30, range: 1...100_000)
        mail = try MailConfiguration(reader: reader)
        clientMetadata = try ClientMetadataFetchConfiguration(reader: reader)
    }
}
