/// How master keys are checked.
public struct AuthenticationConfiguration: Sendable {
    /// How long a replica trusts a checked key without asking the database again. A revoked key (or
    /// a disabled tenant) stops working within it, and scope or store changes take effect within it.
    /// Default 60 s.
    public var cacheTTL: Duration
    /// How long after an argon2 verification a replica may re-check a key by looking its row up alone
    /// (no argon2) when `cacheTTL` has run out, as long as the stored hash is the one it verified
    /// against. Zero (or anything not above `cacheTTL`): argon2 again after every `cacheTTL`.
    /// Default 24 h.
    public var keyMemory: Duration
    /// The most keys one replica remembers; beyond it the least recently used are forgotten (and
    /// verified with argon2 again on their next use). Default 10,000.
    public var keyMemoryEntries: Int
    /// Failed attempts one client address may make per minute, across all replicas, before it is
    /// refused without any key check. Default 20.
    public var failuresPerIPPerMinute: Int

    public init(
        cacheTTL: Duration = .seconds(60), keyMemory: Duration = .seconds(86_400), keyMemoryEntries: Int = 10_000,
        failuresPerIPPerMinute: Int = 20
    ) {
        self.cacheTTL = max(.zero, cacheTTL)
        self.keyMemory = max(.zero, keyMemory)
        self.keyMemoryEntries = max(1, keyMemoryEntries)
        self.failuresPerIPPerMinute = max(1, failuresPerIPPerMinute)
    }

    /// Reads:
    /// - `AUTH_CACHE_TTL_SECONDS`: 0–60, default 60 (0: every request looks the key up).
    /// - `AUTH_KEY_MEMORY_SECONDS`: 0–604800, default 86400 (0: argon2 after every TTL, as before).
    /// - `AUTH_KEY_MEMORY_ENTRIES`: 100–1000000, default 10000.
    /// - `AUTH_FAILURES_PER_MINUTE`: 1–100000, default 20.
    public init(reader: EnvironmentReader) throws {
        self.init(
            cacheTTL: .seconds(try reader.integer("AUTH_CACHE_TTL_SECONDS", default: 60, range: 0...60)),
            keyMemory: .seconds(try reader.integer("AUTH_KEY_MEMORY_SECONDS", default: 86_400, range: 0...604_800)),
            keyMemoryEntries: try reader.integer("AUTH_KEY_MEMORY_ENTRIES", default: 10_000, range: 100...1_000_000),
            failuresPerIPPerMinute: try reader.integer("AUTH_FAILURES_PER_MINUTE", default: 20, range: 1...100_000))
    }
}
