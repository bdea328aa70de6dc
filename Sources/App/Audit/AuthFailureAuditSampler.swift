import Foundation
import Synchronization

/// Decides which refused authentications get an `auth.failed` audit row, so that unauthenticated
/// traffic cannot grow the audit log at request rate.
///
/// Per replica and one-minute window: each client address gets its first `perAddress` rows, and
/// the replica writes at most `total` such rows. A refused attempt beyond that is only counted
/// (metrics count every attempt); the ended window's count is reported once, by the first decision
/// after it or by `endWindowIfOver` (which `serve` calls every 15 s), so one summary row records it. At most `maximumAddresses` addresses are
/// tracked per window; beyond that only `total` applies.
public final class AuthFailureAuditSampler: Sendable {
    public enum Decision: Equatable, Sendable {
        case write
        case suppress
    }

    /// What an ended window left out: attempts without a row, and from how many addresses (each
    /// attempt from an address beyond `maximumAddresses` counts as one).
    public struct Suppressed: Equatable, Sendable {
        public let attempts: Int
        public let addresses: Int
        /// The window's start; it ended `windowSeconds` later.
        public let windowStart: Date

        public init(attempts: Int, addresses: Int, windowStart: Date) {
            self.attempts = attempts
            self.addresses = addresses
            self.windowStart = windowStart
        }
    }

    /// Refusals that always get their row: they need a real (revoked or disabled) key, so they
    /// cannot be produced in bulk and matter to whoever reads the log.
    public static let alwaysAudited: Set<String> = [
        AuthenticationFailure.Reason.revoked.rawValue, AuthenticationFailure.Reason.tenantDisabled.rawValue,
        "session_key_revoked",
    ]

    public let perAddress: Int
    public let total: Int
    public let maximumAddresses: Int
    public static let windowSeconds: TimeInterval = 60

    private struct Entry {
        var written = 0
        var suppressed = false
    }

    private struct State {
        var windowStart: Date
        var written = 0
        var suppressed = 0
        var suppressedUntracked = 0
        var addresses: [String: Entry] = [:]
    }

    private let state: Mutex<State>

    /// `perAddress` is normally `AUTH_FAILURES_PER_MINUTE`; `total` defaults to 50 times that, at
    /// least 1000.
    public init(perAddress: Int, total: Int? = nil, maximumAddresses: Int = 10_000, now: Date = Date()) {
        self.perAddress = max(1, perAddress)
        self.total = total ?? max(1000, 50 * perAddress)
        self.maximumAddresses = maximumAddresses
        state = Mutex(State(windowStart: now))
    }

    /// The decision for one refused attempt (`reason` as audited) from `address` (nil: unknown
    /// address; IPv6 addresses count per /64) at `now`, and, on
    /// the first decision after a window with suppressed attempts ended, what it suppressed.
    public func decide(address: String?, reason: String, now: Date = Date()) -> (decision: Decision, endedWindow: Suppressed?) {
        if Self.alwaysAudited.contains(reason) { return (.write, endWindowIfOver(now: now)) }
        let answer = decideLocked(address: address, now: now)
        if answer.decision == .suppress { ServiceMetrics.authFailureAuditSuppressed() }
        return answer
    }

    /// Counts a refused attempt that gets no row of its own whatever the address's share (it was
    /// turned away before it could write, e.g. over `UnauthenticatedAdmission`'s budget), so the
    /// window's `auth.failed.suppressed` summary still accounts for it. Returns an ended window as
    /// `decide` does.
    public func countSuppressed(address: String?, now: Date = Date()) -> Suppressed? {
        ServiceMetrics.authFailureAuditSuppressed()
        return state.withLock { state in
            let ended = Self.rollOver(&state, now: now)
            let key = ClientAddress(address).bucketKey
            recordSuppressed(&state, key: key, entry: state.addresses[key])
            return ended
        }
    }

    /// Ends the current window if it is over, and reports what it suppressed (nil if nothing). For
    /// a periodic task, so the count is recorded even when no refusal follows.
    public func endWindowIfOver(now: Date = Date()) -> Suppressed? {
        state.withLock { state in Self.rollOver(&state, now: now) }
    }

    private static func rollOver(_ state: inout State, now: Date) -> Suppressed? {
        guard now.timeIntervalSince(state.windowStart) >= windowSeconds || now < state.windowStart else { return nil }
        var ended: Suppressed?
        if state.suppressed > 0 {
            let addresses = state.addresses.values.filter(\.suppressed).count + state.suppressedUntracked
            ended = Suppressed(attempts: state.suppressed, addresses: addresses, windowStart: state.windowStart)
        }
        state = State(windowStart: now)
        return ended
    }

    private func decideLocked(address: String?, now: Date) -> (decision: Decision, endedWindow: Suppressed?) {
        state.withLock { state in
            let ended = Self.rollOver(&state, now: now)
            // Grouped like the failed-login budget: IPv4 per address, IPv6 per /64.
            let key = ClientAddress(address).bucketKey
            let known = state.addresses[key]
            let tracked = known != nil || state.addresses.count < maximumAddresses
            var entry = known ?? Entry()
            if state.written >= total || entry.written >= perAddress {
                recordSuppressed(&state, key: key, entry: known)
                return (.suppress, ended)
            }
            state.written += 1
            if tracked {
                entry.written += 1
                state.addresses[key] = entry
            }
            return (.write, ended)
        }
    }

    /// One more attempt without a row: counted for the window, and for its address while the map
    /// has room for it (`known`: the address's entry, if it has one).
    private func recordSuppressed(_ state: inout State, key: String, entry known: Entry?) {
        state.suppressed += 1
        guard var entry = known ?? (state.addresses.count < maximumAddresses ? Entry() : nil) else {
            state.suppressedUntracked += 1
            return
        }
        entry.suppressed = true
        state.addresses[key] = entry
    }
}
