/// How master keys are checked.
public struct AuthenticationConfiguration: Sendable {
    /// How long a replica trusts a verified key without asking the database again. Argon2 runs once
    /// per key per replica per period, and a revoked key (or a disabled tenant) stops working within it.
    /// Default 60 s.
    public var cacheTTL: Duration
    /// Failed attempts one client address may make per minute, across all replicas, before it is
    /// refused without any key check. Default 20.
    public var failuresPerIPPerMinute: Int

    public init(cacheTTL: Duration = .seconds(60), failuresPerIPPerMinute: Int = 20) {
        self.cacheTTL = max(.zero, cacheTTL)
        self.failuresPerIPPerMinute = max(1, failuresPerIPPerMinute)
    }

    /// Reads:
    /// - `AUTH_CACHE_TTL_SECONDS`: 0–60, default 60 (0 turns the cache off: argon2 on every request).
    /// - `AUTH_FAILURES_PER_MINUTE`: 1–100000, default 20.
    public init(reader: EnvironmentReader) throws {
        self.init(
            cacheTTL: .seconds(try reader.integer("AUTH_CACHE_TTL_SECONDS", default: 60, range: 0...60)),
            failuresPerIPPerMinute: try reader.integer("AUTH_FAILURES_PER_MINUTE", default: 20, range: 1...100_000))
    }
}
