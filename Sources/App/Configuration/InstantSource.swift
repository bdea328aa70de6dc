/// Where a component with in-memory timing (the verified-key cache, the unauthenticated budget)
/// reads the current instant: `{ .now }` in production, a manual clock in tests, so a TTL is tested
/// without waiting for it.
public typealias InstantSource = @Sendable () -> ContinuousClock.Instant
