import Synchronization

/// Budgets for sign-in link requests (`POST /signin`), in memory and per replica: at most
/// `perAddressPerHour` for one e-mail address and `perIPPerHour` from one client address, so the
/// page can be used neither to flood someone's mailbox nor to probe many addresses.
///
/// Each budget is a token bucket holding a full hour's allowance and refilling evenly over the hour.
/// A request is admitted only when both buckets have a token, and then takes one from each; a
/// refused request takes nothing. Client addresses are grouped like the other budgets
/// (`ClientAddress`: IPv4 one by one, IPv6 per /64, none in one shared `unknown` bucket).
///
/// Memory is bounded by `maximumKeys` per kind, kept in two generations like
/// `UnauthenticatedAdmission`: the keys idle the longest are forgotten first and start again full.
/// The caller answers a refused request with the same page as an admitted one (no enumeration) and
/// sends no mail.
public final class SignInLimiter: Sendable {
    public let perAddressPerHour: Int
    public let perIPPerHour: Int
    private let now: InstantSource
    private let generationSize: Int
    private let state = Mutex(State())

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private struct Generations {
        var current: [String: Bucket] = [:]
        var previous: [String: Bucket] = [:]

        mutating func take(_ key: String) -> Bucket? {
            current[key] ?? previous.removeValue(forKey: key)
        }

        mutating func put(_ key: String, _ bucket: Bucket, generationSize: Int) {
            if current[key] == nil && current.count >= generationSize {
                previous = current
                current = [:]
            }
            current[key] = bucket
        }
    }

    private struct State {
        var addresses = Generations()
        var ips = Generations()
    }

    /// - Parameters:
    ///   - perAddressPerHour: `SIGNIN_PER_ADDRESS_PER_HOUR` (default 5); 0 refuses every request.
    ///   - perIPPerHour: `SIGNIN_PER_IP_PER_HOUR` (default 30); 0 refuses every request.
    ///   - maximumKeys: addresses (and, separately, client addresses) remembered at most.
    ///   - clock: `{ .now }` in production, a manual clock in tests.
    public init(
        perAddressPerHour: Int = 5, perIPPerHour: Int = 30, maximumKeys: Int = 100_000,
        clock: @escaping InstantSource = { .now }
    ) {
        self.perAddressPerHour = max(0, perAddressPerHour)
        self.perIPPerHour = max(0, perIPPerHour)
        self.now = clock
        generationSize = max(1, maximumKeys / 2)
    }

    /// Whether a sign-in link may be sent to `address` for a request from client address `ip`
    /// (nil or not an IP address: the shared `unknown` bucket). True takes one from both budgets.
    public func admit(address: MemberEmail, ip: String?) -> Bool {
        let ipKey = ClientAddress(ip).bucketKey
        let instant = now()
        let addressCapacity = Double(perAddressPerHour)
        let ipCapacity = Double(perIPPerHour)
        let generationSize = self.generationSize
        return state.withLock { state in
            var byAddress = Self.refilled(
                state.addresses.take(address.address), capacity: addressCapacity, at: instant)
            var byIP = Self.refilled(state.ips.take(ipKey), capacity: ipCapacity, at: instant)
            // The tolerance keeps float steps from costing a token.
            let admitted = byAddress.tokens >= 1 - 1e-9 && byIP.tokens >= 1 - 1e-9
            if admitted {
                byAddress.tokens = max(0, byAddress.tokens - 1)
                byIP.tokens = max(0, byIP.tokens - 1)
            }
            state.addresses.put(address.address, byAddress, generationSize: generationSize)
            state.ips.put(ipKey, byIP, generationSize: generationSize)
            return admitted
        }
    }

    /// `bucket` topped up for the time since its last use (a new key starts full).
    private static func refilled(_ bucket: Bucket?, capacity: Double, at instant: ContinuousClock.Instant) -> Bucket {
        guard var bucket else { return Bucket(tokens: capacity, updated: instant) }
        // A clock that went backwards (an injected one may) refills nothing.
        let hours = max(0, (instant - bucket.updated) / .seconds(3600))
        bucket.tokens = min(capacity, bucket.tokens + hours * capacity)
        bucket.updated = max(bucket.updated, instant)
        return bucket
    }
}
