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
/// `DB_ACQUIRE_TIMEOUT_MS` (10000), `MAX_BODY_BYTES` (1048576),
/// `TRUSTED_PROXIES` (none), plus the keys read by
/// `UnauthenticatedAdmissionConfiguration`, `AuthenticationConfiguration`, `RateLimitConfiguration`, `SessionStore` and
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

    public init(environment: [String: String]) throws {
        func value(_ key: String) -> String? {
            environment[key].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        func integer(_ key: String, _ fallback: Int, range: ClosedRange<Int>) throws -> Int {
            try EnvironmentInteger.read(key, in: environment, default: fallback, range: range)
        }
        guard let url = value("DATABASE_URL") else {
            throw ConfigurationError(
                variable: "DATABASE_URL", problem: "not set; the libpq URL of the orderdesk_app role (see README)")
        }
        host = value("HOST") ?? "127.0.0.1"
        port = try integer("PORT", 8080, range: 0...65535)
        allowedOrigins = Set(
            (value("ALLOWED_ORIGINS") ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty })
        switch value("ALLOW_SESSION_AUTH")?.lowercased() {
        case nil, "true", "1", "yes": allowSessionAuthentication = true
        case "false", "0", "no": allowSessionAuthentication = false
        default: throw ConfigurationError(variable: "ALLOW_SESSION_AUTH", problem: "must be true or false")
        }
        replicaID = value("REPLICA_ID") ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        guard let level = Logger.Level(rawValue: value("LOG_LEVEL")?.lowercased() ?? "info") else {
            throw ConfigurationError(
                variable: "LOG_LEVEL", problem: "must be one of trace, debug, info, notice, warning, error, critical")
        }
        logLevel = level
        database = DatabaseConfiguration(
            url: url, poolSize: try integer("DB_POOL_SIZE", 10, range: 1...200),
            statementTimeoutMilliseconds: try integer("DB_STATEMENT_TIMEOUT_MS", 5_000, range: 100...600_000),
            acquireTimeoutMilliseconds: try integer("DB_ACQUIRE_TIMEOUT_MS", 10_000, range: 10...600_000),
            applicationName: "orderdesk-mcp serve")
        pepper = try EnvironmentSecrets.masterKeyPepper(environment)
        keyring = try EncryptionKeyring(environment: environment)
        authentication = try AuthenticationConfiguration(environment: environment)
        rateLimits = try RateLimitConfiguration(environment: environment)
        sessionIdleTimeout = try SessionStore.idleTimeout(environment: environment)
        orderDesk = try OrderDeskConfiguration(environment: environment)
        orders = try OrderServiceConfiguration(environment: environment)
        maximumBodyBytes = try integer("MAX_BODY_BYTES", 1_048_576, range: 1024...16_777_216)
        trustedProxies = try TrustedProxies(parsing: value("TRUSTED_PROXIES") ?? "")
        unauthenticatedAdmission = try UnauthenticatedAdmissionConfiguration(environment: environment)
    }
}
