import Foundation
import Postgres
import Synchronization

/// The per-tenant rate limit, kept in `orderdesk.rate_limit_buckets` (bucket `tenant`) so that all
/// replicas draw from one bucket.
///
/// Each database decision is one atomic `INSERT … ON CONFLICT DO UPDATE`: the row lock makes
/// concurrent calls on any replica take turns, the refill is computed from `updated_at` with the
/// database's `clock_timestamp()` (one clock for every replica), and a refused call changes nothing.
///
/// That row is every call's hot spot, so a replica takes a few tokens ahead of need with each
/// decision (`prefetch`: 5% of the burst, at most 20, none for bursts under 20) and spends them
/// locally for up to a second. Tokens are always taken from the shared bucket before they are
/// spent, so the tenant never gets more than its limit; unspent ones expire, which can only make the
/// limit a little stricter.
public final class TenantRateLimiter: Sendable {
    private let database: Database
    public let configuration: RateLimitConfiguration
    private let allowances = Mutex<[UUID: Allowance]>([:])

    /// Tokens a replica holds for a tenant, taken from the shared bucket ahead of need.
    private struct Allowance {
        var tokens: Double
        /// What the shared bucket held when they were taken.
        var remaining: Double
        var expires: ContinuousClock.Instant
        /// Of `tokens`, those promised to calls that opened on this allowance (`openingRate`) and will
        /// spend them in `consume`: a later opening counts only the rest, so that it rides its own
        /// decision along instead of finding the tokens spent when its call consumes.
        var reserved: Double = 0

        var unreserved: Double { tokens - reserved }
    }

    /// How long prefetched tokens may be spent.
    static let allowanceLifetime = Duration.seconds(1)

    public init(database: Database, configuration: RateLimitConfiguration) {
        self.database = database
        self.configuration = configuration
    }

    /// Tokens taken ahead of need with each database decision.
    var prefetch: Double { (min(max(configuration.burst, 0) * 0.05, 20)).rounded(.down) }

    /// Takes `cost` tokens from the tenant's bucket if it holds that many.
    ///
    /// Calls that find no local allowance while a decision of their tenant is in flight wait for it
    /// and spend from the allowance it leaves (single flight): without that, every call arriving in
    /// the same moment went to the database and each left an allowance that overwrote the others'.
    public func consume(tenantID: UUID, cost: Double) async throws -> RateDecision {
        let cost = charged(cost)
        for _ in 0..<Self.maximumWaits {
            if let remaining = spendLocally(cost, tenantID: tenantID) { return .allowed(remaining: remaining) }
            guard let pending = decisions.withLock({ $0[tenantID] }) else { break }
            _ = try? await pending.value
        }
        if let remaining = spendLocally(cost, tenantID: tenantID) { return .allowed(remaining: remaining) }

        let bucket = self.bucket
        let decision = decisions.withLock { decisions in
            // Lead a decision of the tenant unless one is already in flight (then decide alone).
            let leads = decisions[tenantID] == nil
            let task = Task { try await self.decide(cost, bucket: bucket, tenantID: tenantID, leads: leads) }
            if leads { decisions[tenantID] = task }
            return task
        }
        switch try await decision.value {
        case .taken(let remaining, _):
            return .allowed(remaining: remaining)
        case .short(let missing):
            ServiceMetrics.rateLimitDenied("tenant")
            return .denied(retryAfterSeconds: bucket.secondsToRefill(missing))
        }
    }

    /// The tenant bucket as configured.
    private var bucket: TokenBucket {
        TokenBucket(burst: max(configuration.burst, 0), perSecond: max(configuration.perMinute, 0.000_001) / 60)
    }

    /// `cost` as charged: a cost above the burst could never be paid, so it charges the whole bucket.
    private func charged(_ cost: Double) -> Double {
        min(max(cost.isFinite ? cost : 0, 0), max(configuration.burst, 0))
    }

    /// A decision that rides along with a call's opening statement (`CallSnapshots.open`): when the
    /// call would have to ask the database anyway, the opening takes `cost` plus the prefetch in the
    /// same transaction, and `settle` credits all of it to the tenant's allowance, from which
    /// `consume` then pays the call without a round trip of its own.
    public final class OpeningCharge: Sendable {
        let tenantID: UUID
        let cost: Double
        let extra: Double
        let bucket: TokenBucket
        private let limiter: TenantRateLimiter
        /// nil until settled; then the cost still reserved for the charged call (0 when none was).
        private let reservation = Mutex<Double?>(nil)
        /// The decision in flight that other calls of the tenant wait for, and its outcome's way in.
        fileprivate let task: Task<TokenBucket.Outcome, any Error>
        fileprivate let outcome: AsyncThrowingStream<TokenBucket.Outcome, any Error>.Continuation

        fileprivate init(tenantID: UUID, cost: Double, extra: Double, bucket: TokenBucket, limiter: TenantRateLimiter) {
            self.tenantID = tenantID
            self.cost = cost
            self.extra = extra
            self.bucket = bucket
            self.limiter = limiter
            let (stream, continuation) = AsyncThrowingStream<TokenBucket.Outcome, any Error>.makeStream()
            self.outcome = continuation
            self.task = Task {
                for try await outcome in stream { return outcome }
                throw CancellationError()
            }
        }

        /// The statement that takes the tokens, for a transaction already set to the tenant.
        public var query: PostgresQuery { bucket.takeQuery(cost, extra: extra, from: "tenant", tenantID: tenantID) }

        /// Ends the charge with the rows `query` returned, or nil when the opening failed (nothing was
        /// taken); the call's cost is reserved for it when it goes on to `consume` (`forTheCall`). Only
        /// the first call counts: an opening settles on every path, once.
        public func settle(rows: [PostgresRow]?, forTheCall: Bool) {
            let first = reservation.withLock { reservation in
                defer { reservation = reservation ?? 0 }
                return reservation == nil
            }
            guard first else { return }
            let reserved = limiter.settle(self, rows: rows, reservingCost: forTheCall)
            reservation.withLock { $0 = reserved }
        }

        /// The cost still reserved for the charged call, once: a release takes it back.
        fileprivate func takeReservation() -> Double {
            reservation.withLock { reservation in
                defer { if reservation != nil { reservation = 0 } }
                return reservation ?? 0
            }
        }
    }

    /// What a call about to open owes the rate limit (`TenantRateLimiter.openingRate`): a decision
    /// to ride along with the opening, or the call's cost promised to it from the allowance, or
    /// neither. A call that stops before `consume` (its session is gone, its opening failed) must
    /// `release` it, so that its promised cost does not make later openings pay for it.
    public struct OpeningRate: Sendable {
        /// The decision that rides along with the opening, when one is due.
        public let charge: OpeningCharge?
        let tenantID: UUID
        /// The cost promised to the call from the allowance, 0 when none was.
        let reservedCost: Double
        let limiter: TenantRateLimiter

        /// Gives back what was promised to the call: its reservation, or the cost a charge it carried
        /// reserved for it when it settled.
        public func release() {
            let cost = charge.map { $0.takeReservation() } ?? reservedCost
            limiter.unreserve(cost, tenantID: tenantID)
        }
    }

    /// What a call of `tenantID` needing `scope` about to open owes the rate limit. A charge when its
    /// decision is due. Else nothing to do at the opening: the unreserved part of the allowance
    /// covers it (its cost is then reserved for it), a decision is in flight that it will wait for,
    /// or the tenant was refused within the last second (its calls then take the plain path, so a
    /// throttled tenant costs no more than before). The caller runs the charge's `query` in its
    /// opening transaction and must `settle` it on every path.
    public func openingRate(tenantID: UUID, scope: KeyScope) -> OpeningRate {
        let cost = charged(configuration.cost(of: scope))
        let now = ContinuousClock.now
        func rate(_ charge: OpeningCharge?, reserved: Double = 0) -> OpeningRate {
            OpeningRate(charge: charge, tenantID: tenantID, reservedCost: reserved, limiter: self)
        }
        let reserved = allowances.withLock { allowances in
            guard var allowance = allowances[tenantID], allowance.expires > now, allowance.unreserved >= cost else {
                return false
            }
            allowance.reserved += cost
            allowances[tenantID] = allowance
            return true
        }
        if reserved { return rate(nil, reserved: cost) }
        if refusedRecently.withLock({ $0[tenantID].map { $0 > now } ?? false }) { return rate(nil) }
        let bucket = self.bucket
        return rate(
            decisions.withLock { decisions in
                guard decisions[tenantID] == nil else { return nil }
                let charge = OpeningCharge(
                    tenantID: tenantID, cost: cost, extra: prefetch, bucket: bucket, limiter: self)
                decisions[tenantID] = charge.task
                return charge
            })
    }

    /// Takes `cost` off the tenant's reservations (never below zero; tokens stay).
    fileprivate func unreserve(_ cost: Double, tenantID: UUID) {
        guard cost > 0 else { return }
        allowances.withLock { allowances in
            guard var allowance = allowances[tenantID] else { return }
            allowance.reserved = max(allowance.reserved - cost, 0)
            allowances[tenantID] = allowance
        }
    }

    /// `charge`'s end (`OpeningCharge.settle`): tokens taken become the tenant's allowance, cost
    /// included, living from now, the cost reserved for the charged call if it goes on (it spends it
    /// right after), and the calls waiting for it go on. Returns the cost reserved.
    private func settle(_ charge: OpeningCharge, rows: [PostgresRow]?, reservingCost: Bool) -> Double {
        let outcome = rows.flatMap { try? charge.bucket.outcome(of: $0, cost: charge.cost, extra: charge.extra) }
        let now = ContinuousClock.now
        var reserved = 0.0
        switch outcome {
        case .taken(let remaining, let extra)?:
            reserved = reservingCost ? charge.cost : 0
            credit(charge.cost + extra, reserving: reserved, remaining: remaining, tenantID: charge.tenantID, since: now)
        case .short?:
            refusedRecently.withLock { refused in
                if refused.count >= 10_000 { refused = refused.filter { $0.value > now } }
                refused[charge.tenantID] = now + Self.allowanceLifetime
            }
        case nil:
            break
        }
        decisions.withLock { decisions in
            if decisions[charge.tenantID] == charge.task { decisions[charge.tenantID] = nil }
        }
        if let outcome {
            charge.outcome.yield(outcome)
            charge.outcome.finish()
        } else {
            charge.outcome.finish(throwing: CancellationError())
        }
        return reserved
    }

    /// Tenants whose ride-along decision was refused, until when their calls take the plain path.
    private let refusedRecently = Mutex<[UUID: ContinuousClock.Instant]>([:])

    /// How many decisions in flight a call waits for before it asks the database itself.
    static let maximumWaits = 3

    /// The tenant's decision in flight, whose allowance waiting calls spend.
    private let decisions = Mutex<[UUID: Task<TokenBucket.Outcome, any Error>]>([:])

    /// Takes `cost` from the tenant's live allowance (a reservation of that much, if any, with it:
    /// tokens are interchangeable, and a call that reserved finds its cost there unless a call that
    /// did not took it first); the shared bucket's level then, or nil.
    private func spendLocally(_ cost: Double, tenantID: UUID) -> Double? {
        let now = ContinuousClock.now
        return allowances.withLock { allowances -> Double? in
            guard var allowance = allowances[tenantID], allowance.expires > now, allowance.tokens >= cost else {
                return nil
            }
            allowance.tokens -= cost
            allowance.reserved = max(allowance.reserved - cost, 0)
            allowances[tenantID] = allowance
            return allowance.remaining
        }
    }

    /// One database decision: `cost` plus the prefetch, whose tokens become the tenant's allowance
    /// before the decision counts as done (so the calls waiting for it find them).
    private func decide(_ cost: Double, bucket: TokenBucket, tenantID: UUID, leads: Bool) async throws
        -> TokenBucket.Outcome
    {
        defer { if leads { decisions.withLock { $0[tenantID] = nil } } }
        let now = ContinuousClock.now
        let outcome = try await bucket.take(cost, extra: prefetch, from: "tenant", tenantID: tenantID, in: database)
        if case .taken(let remaining, let extra) = outcome, extra > 0 {
            credit(extra, remaining: remaining, tenantID: tenantID, since: now)
        }
        return outcome
    }

    /// Adds `tokens` taken from the shared bucket at `since` to the tenant's allowance, `reserving` of
    /// them for the call they were taken for.
    private func credit(
        _ tokens: Double, reserving: Double = 0, remaining: Double, tenantID: UUID, since: ContinuousClock.Instant
    ) {
        guard tokens > 0 else { return }
        let allowance = Allowance(
            tokens: tokens, remaining: remaining, expires: since + Self.allowanceLifetime, reserved: reserving)
        allowances.withLock { allowances in
            if allowances.count >= 10_000 { allowances = allowances.filter { $0.value.expires > since } }
            if let left = allowances[tenantID], left.expires > since {
                // Tokens of an earlier decision still live are kept, not overwritten.
                allowances[tenantID] = Allowance(
                    tokens: left.tokens + tokens, remaining: remaining, expires: min(left.expires, allowance.expires),
                    reserved: left.reserved + reserving)
            } else {
                allowances[tenantID] = allowance
            }
        }
    }
}
