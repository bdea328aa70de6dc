import Synchronization

/// Decides, in memory and before any database write, whether a request without a valid credential
/// from a client address may go on, so that unauthenticated traffic cannot write rows (sessions,
/// audit) at request rate.
///
/// One token bucket per client address and replica: `perMinute` tokens a minute, up to `burst`
/// saved up, one token per admitted request; a refused request takes nothing. Addresses are grouped
/// like the failed-login budget (`ClientAddress`): IPv4 one by one, IPv6 per /64, no usable address
/// in one shared `unknown` bucket. The budget is per replica on purpose: it guards this replica's
/// writes without a database round trip (the cross-replica failed-login budget stays in Postgres,
/// `FailedAttempts`).
///
/// Memory is bounded by `maximumAddresses`, kept in two generations of at most half that each: an
/// address is looked up in both and moved to the current one, and when the current one is full it
/// becomes the previous one and the old previous one is forgotten. So the addresses forgotten are
/// those idle the longest (approximately: for at least a whole generation), at O(1) per request.
/// A forgotten address starts again with a full bucket. When more addresses than that are active
/// the limit loosens for them; it never refuses an address because the table is full. The
/// addresses are TCP peers (or what a trusted proxy forwarded), which cannot be spoofed, so filling
/// the table takes that many real addresses or IPv6 /64s, and refusing newcomers then would let
/// whoever holds them lock every new client out.
public final class UnauthenticatedAdmission: Sendable {
    public let configuration: UnauthenticatedAdmissionConfiguration
    private let now: InstantSource
    private let perSecond: Double
    private let generationSize: Int
    private let state = Mutex(State())

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private struct State {
        var current: [String: Bucket] = [:]
        var previous: [String: Bucket] = [:]
    }

    public init(configuration: UnauthenticatedAdmissionConfiguration = .init(), now: @escaping InstantSource = { .now }) {
        self.configuration = configuration
        self.now = now
        perSecond = configuration.refillPerSecond
        generationSize = max(1, configuration.maximumAddresses / 2)
    }

    /// Takes one token from `address`'s bucket (nil or not an IP address: the shared `unknown`
    /// bucket). `.denied` says in how many seconds a token will be back; the caller answers 429
    /// with that `Retry-After` and writes nothing.
    public func admit(address: String?) -> RateDecision {
        let key = ClientAddress(address).bucketKey
        let instant = now()
        let burst = Double(configuration.burst)
        let decision = state.withLock { state -> RateDecision in
            var bucket =
                state.current[key] ?? state.previous.removeValue(forKey: key) ?? Bucket(tokens: burst, updated: instant)
            // A clock that went backwards (it cannot for ContinuousClock, but an injected one may)
            // refills nothing.
            let elapsed = max(0, (instant - bucket.updated) / .seconds(1))
            bucket.tokens = min(burst, bucket.tokens + elapsed * perSecond)
            bucket.updated = max(bucket.updated, instant)
            let decision: RateDecision
            // The tolerances keep float steps (10 × 0.1 s) from costing a token or a second.
            if bucket.tokens >= 1 - 1e-9 {
                bucket.tokens = max(0, bucket.tokens - 1)
                decision = .allowed(remaining: bucket.tokens)
            } else {
                let seconds = ((1 - bucket.tokens) / perSecond - 1e-9).rounded(.up)
                decision = .denied(retryAfterSeconds: max(1, Int(min(seconds, 86_400))))
            }
            if state.current[key] == nil && state.current.count >= generationSize {
                state.previous = state.current
                state.current = [:]
            }
            state.current[key] = bucket
            return decision
        }
        if case .denied = decision { ServiceMetrics.rateLimitDenied("unauthenticated") }
        return decision
    }

    /// How many addresses (IPv6: /64 networks) are tracked now; at most `maximumAddresses`.
    public var trackedAddresses: Int {
        state.withLock { $0.current.count + $0.previous.count }
    }
}
