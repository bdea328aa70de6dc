/// Settings of the authorization server's JSON endpoints (`/.well-known/oauth-*`, `/oauth/token`,
/// `/oauth/register`, `/oauth/revoke`), read only when `PUBLIC_BASE_URL` is set.
public struct AuthorizationServerConfiguration: Sendable, Hashable {
    /// Lifetime of an access token (`expires_in`).
    public var accessTokenTTL: Duration
    /// Lifetime of each refresh token, counted from its issue.
    public var refreshTokenTTL: Duration
    /// Requests to the metadata and `/oauth/*` JSON endpoints per client address and replica.
    public var admission: UnauthenticatedAdmissionConfiguration
    /// Client registrations (`POST /oauth/register`) per client address and replica, on top of `admission`.
    public var registration: UnauthenticatedAdmissionConfiguration
    /// Largest request body of `/oauth/token`, `/oauth/register` and `/oauth/revoke`.
    public static let maximumBodyBytes = 16_384

    public init(
        accessTokenTTLSeconds: Int = 600, refreshTokenTTLDays: Int = 30, perMinute: Int = 600, burst: Int = 120,
        registrationsPerHour: Int = 30
    ) {
        accessTokenTTL = .seconds(accessTokenTTLSeconds)
        refreshTokenTTL = .seconds(refreshTokenTTLDays * 86_400)
        admission = UnauthenticatedAdmissionConfiguration(perMinute: perMinute, burst: burst)
        registration = UnauthenticatedAdmissionConfiguration(perHour: registrationsPerHour, burst: registrationsPerHour)
    }

    /// Reads:
    /// - `OAUTH_ACCESS_TOKEN_TTL_SECONDS`: 60–86400, default 600.
    /// - `OAUTH_REFRESH_TOKEN_TTL_DAYS`: 1–365, default 30.
    /// - `OAUTH_REQUESTS_PER_MINUTE`: 1–1000000, default 600.
    /// - `OAUTH_REQUESTS_BURST`: 1–1000000, default 120.
    /// - `OAUTH_REGISTER_PER_IP_PER_HOUR`: 1–100000, default 30 (also the burst).
    public init(reader: EnvironmentReader) throws {
        self.init(
            accessTokenTTLSeconds: try reader.integer("OAUTH_ACCESS_TOKEN_TTL_SECONDS", default: 600, range: 60...86_400),
            refreshTokenTTLDays: try reader.integer("OAUTH_REFRESH_TOKEN_TTL_DAYS", default: 30, range: 1...365),
            perMinute: try reader.integer("OAUTH_REQUESTS_PER_MINUTE", default: 600, range: 1...1_000_000),
            burst: try reader.integer("OAUTH_REQUESTS_BURST", default: 120, range: 1...1_000_000),
            registrationsPerHour: try reader.integer("OAUTH_REGISTER_PER_IP_PER_HOUR", default: 30, range: 1...100_000))
    }
}
