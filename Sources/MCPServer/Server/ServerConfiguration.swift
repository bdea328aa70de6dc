import App
import Foundation
import Logging
import OrderDesk
import Postgres

/// Everything `serve` reads from the environment, validated at start-up.
///
/// Keys (defaults): `DATABASE_URL` (required), `MASTER_KEY_PEPPER` (required), `ENCRYPTION_KEY` or
/// `ENCRYPTION_KEYS` (required), `HOST` (127.0.0.1), `PORT` (8080; 0 = any free port),
/// `ALLOWED_ORIGINS` (none), `ALLOW_SESSION_AUTH` (true), `REPLICA_ID` (hostname-pid),
/// `LOG_LEVEL` (info), `DB_POOL_SIZE` (10), `DB_STATEMENT_TIMEOUT_MS` (5000),
/// `DB_ACQUIRE_TIMEOUT_MS` (10000), `DB_PREPARED_STATEMENTS` (named), `MAX_BODY_BYTES` (1048576),
/// `TRUSTED_PROXIES` (none), `PUBLIC_BASE_URL` (none: OAuth access tokens off), plus the keys read by
/// `UnauthenticatedAdmissionConfiguration`, `WebhookConfiguration`, `AuthorizationServerConfiguration` and
/// `SignInConfiguration` (both with `PUBLIC_BASE_URL` only), `AuthenticationConfiguration`, `RateLimitConfiguration`, `SessionStore` and
/// `OrderDeskConfiguration` (see README).
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var allowedOrigins: Set<String>
    public var allowSessionAuthentication: Bool
    public var replicaID: String
    public var logLevel: Logger.Level
    public var database: DatabaseConfiguration
    public var pepper: [UInt8]
    public var keyring: EncryptionKeyring
    public var authentication: AuthenticationConfiguration
    public var rateLimits: RateLimitConfiguration
    public var sessionIdleTimeout: Duration
    public var orderDesk: OrderDeskConfiguration
    public var orders: OrderServiceConfiguration
    public var maximumBodyBytes: Int
    public var trustedProxies: TrustedProxies
    public var unauthenticatedAdmission: UnauthenticatedAdmissionConfiguration
    public var webhooks: WebhookConfiguration
    /// `PUBLIC_BASE_URL`: this server as an OAuth protected resource; nil turns OAuth access tokens off.
    public var resource: ProtectedResource?
    /// The authorization server's settings (token lifetimes, request budgets); nil when `resource` is.
    public var authorizationServer: AuthorizationServerConfiguration?
    /// The sign-in pages' settings (`SignInConfiguration`); read only with `PUBLIC_BASE_URL`, nil without.
    public var signIn: SignInConfiguration?

    public init(reader: EnvironmentReader) throws {
        guard let url = reader.text("DATABASE_URL") else {
            throw ConfigurationError(
                variable: "DATABASE_URL", problem: "not set; the libpq URL of the orderdesk_app role (see README)")
        }
        host = reader.text("HOST") ?? "127.0.0.1"
        port = try reader.integer("PORT", default: 8080, range: 0...65535)
        allowedOrigins = Set(reader.list("ALLOWED_ORIGINS"))
        allowSessionAuthentication = try reader.flag("ALLOW_SESSION_AUTH", default: true)
        replicaID =
            reader.text("REPLICA_ID") ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        guard let level = Logger.Level(rawValue: reader.text("LOG_LEVEL")?.lowercased() ?? "info") else {
            throw ConfigurationError(
                variable: "LOG_LEVEL", problem: "must be one of trace, debug, info, notice, warning, error, critical")
        }
        logLevel = level
        database = DatabaseConfiguration(
            url: url, poolSize: try reader.integer("DB_POOL_SIZE", default: 10, range: 1...200),
            statementTimeoutMilliseconds: try reader.integer("DB_STATEMENT_TIMEOUT_MS", default: 5_000, range: 100...600_000),
            acquireTimeoutMilliseconds: try reader.integer("DB_ACQUIRE_TIMEOUT_MS", default: 10_000, range: 10...600_000),
            applicationName: "orderdesk-mcp serve", preparedStatements: try reader.preparedStatementMode())
        pepper = try reader.masterKeyPepper()
        keyring = try EncryptionKeyring(reader: reader)
        authentication = try AuthenticationConfiguration(reader: reader)
        rateLimits = try RateLimitConfiguration(reader: reader)
        sessionIdleTimeout = try SessionStore.idleTimeout(reader: reader)
        orderDesk = try OrderDeskConfiguration(reader: reader)
        orders = try OrderServiceConfiguration(reader: reader)
        maximumBodyBytes = try reader.integer("MAX_BODY_BYTES", default: 1_048_576, range: 1024...16_777_216)
        trustedProxies = try TrustedProxies(parsing: reader.text("TRUSTED_PROXIES") ?? "")
        unauthenticatedAdmission = try UnauthenticatedAdmissionConfiguration(reader: reader)
        webhooks = try WebhookConfiguration(reader: reader)
        resource = try ProtectedResource(reader: reader)
        authorizationServer = resource == nil ? nil : try AuthorizationServerConfiguration(reader: reader)
        signIn = try resource.map { _ in try SignInConfiguration(reader: reader) }
    }
}
