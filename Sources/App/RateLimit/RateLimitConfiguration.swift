/// The per-tenant token bucket: `perMinute` tokens a minute sustained, up to `burst` saved up;
/// a read tool call costs `readCost`, a write `writeCost`.
public struct RateLimitConfiguration: Sendable, Hashable {
    public var perMinute: Double
    public var burst: Double
    public var readCost: Double
    public var writeCost: Double

    public init(perMinute: Double = 120, burst: Double = 240, readCost: Double = 1, writeCost: Double = 2) {
        self.perMinute = perMinute
        self.burst = burst
        self.readCost = readCost
        self.writeCost = writeCost
    }

    /// Reads `RATE_LIMIT_PER_MINUTE` (default 120) and `RATE_LIMIT_BURST` (default 240), each 1 to
    /// 1000000.
    public init(reader: EnvironmentReader) throws {
        self.init(
            perMinute: try reader.number("RATE_LIMIT_PER_MINUTE", default: 120, range: 1...1_000_000),
            burst: try reader.number("RATE_LIMIT_BURST", default: 240, range: 1...1_000_000))
    }

    /// What one call of a tool needing `scope` costs.
    public func cost(of scope: KeyScope) -> Double {
        switch scope {
        case .read: return readCost
        case .write: return writeCost
        }
    }
}
