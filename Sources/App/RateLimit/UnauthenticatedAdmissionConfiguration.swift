/// The per-address budget of requests without a valid credential that would write to the database
/// (an unauthenticated `initialize`, a refused key's audit row, a `tools/call` from an unbound
/// session): `perMinute` sustained, up to `burst` at once, per client address and replica.
public struct UnauthenticatedAdmissionConfiguration: Sendable, Hashable {
    public var perMinute: Int
    public var burst: Int
    /// Addresses tracked at once (see `UnauthenticatedAdmission` for what happens beyond). Not an
    /// environment setting: 100000 entries are a few megabytes, and fewer only loosens the limit.
    public var maximumAddresses: Int
    /// When set, the bucket refills `perHour` tokens an hour instead of `perMinute` a minute (a
    /// budget below one a minute, like the OAuth client registrations per address).
    public var perHour: Int?

    public init(perMinute: Int = 60, burst: Int = 120, maximumAddresses: Int = 100_000) {
        self.perMinute = max(1, perMinute)
        self.burst = max(1, burst)
        self.maximumAddresses = max(2, maximumAddresses)
    }

    /// `perHour` tokens an hour, up to `burst` at once.
    public init(perHour: Int, burst: Int, maximumAddresses: Int = 100_000) {
        self.init(perMinute: max(1, perHour / 60), burst: burst, maximumAddresses: maximumAddresses)
        self.perHour = max(1, perHour)
    }

    /// Tokens added a second.
    var refillPerSecond: Double {
        perHour.map { Double($0) / 3600 } ?? Double(perMinute) / 60
    }

    /// Reads:
    /// - `UNAUTHENTICATED_PER_MINUTE`: 1–1000000, default 60.
    /// - `UNAUTHENTICATED_BURST`: 1–1000000, default 120.
    public init(reader: EnvironmentReader) throws {
        self.init(
            perMinute: try reader.integer("UNAUTHENTICATED_PER_MINUTE", default: 60, range: 1...1_000_000),
            burst: try reader.integer("UNAUTHENTICATED_BURST", default: 120, range: 1...1_000_000))
    }
}
