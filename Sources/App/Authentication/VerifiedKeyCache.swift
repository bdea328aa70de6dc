import Synchronization

/// Per-replica memory of verified keys (fingerprint → principal until an expiry), plus the
/// verifications in progress, so that argon2 runs once per key per replica per TTL even when many
/// requests with the same new key arrive at once.
///
/// Keyed by the HMAC fingerprint, not the key: the key itself is never kept. Two different keys
/// cannot share a fingerprint (HMAC-SHA256 of 256-bit keys), so a hit is for the presented key.
/// Only successes are remembered; a refused key is checked again (and counted) every time.
final class VerifiedKeyCache: Sendable {
    enum Verification: Sendable {
        case verified(TenantPrincipal)
        case refused(AuthenticationFailure.Reason)
    }

    private struct Entry {
        let principal: TenantPrincipal
        let expires: ContinuousClock.Instant
    }

    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        var flights: [[UInt8]: Task<Verification, any Error>] = [:]
    }

    /// Above this many entries, an insert first drops the expired ones.
    private static let pruneThreshold = 1_000

    private let ttl: Duration
    private let now: InstantSource
    private let state = Mutex(State())

    init(ttl: Duration, now: @escaping InstantSource = { .now }) {
        self.ttl = ttl
        self.now = now
    }

    /// The cached principal for `fingerprint`, if it has not expired.
    func principal(for fingerprint: [UInt8]) -> TenantPrincipal? {
        let now = self.now()
        return state.withLock { state in
            guard let entry = state.entries[fingerprint] else { return nil }
            guard entry.expires > now else {
                state.entries[fingerprint] = nil
                return nil
            }
            return entry.principal
        }
    }

    /// The verification of `fingerprint` already running, or a new one running `work`. When it
    /// ends, a success is cached and the flight removed in one step, so no request can slip between
    /// the two and verify again.
    func verification(
        for fingerprint: [UInt8], _ work: @escaping @Sendable () async throws -> Verification
    ) -> Task<Verification, any Error> {
        let now = self.now()
        return state.withLock { state in
            if let running = state.flights[fingerprint] { return running }
            // A flight may have finished between the caller's cache miss and now.
            if let entry = state.entries[fingerprint], entry.expires > now {
                let principal = entry.principal
                return Task { .verified(principal) }
            }
            let task = Task<Verification, any Error> {
                do {
                    let outcome = try await work()
                    self.finish(fingerprint, outcome)
                    return outcome
                } catch {
                    self.finish(fingerprint, nil)
                    throw error
                }
            }
            state.flights[fingerprint] = task
            return task
        }
    }

    private func finish(_ fingerprint: [UInt8], _ outcome: Verification?) {
        let now = self.now()
        let expires = now + ttl
        state.withLock { state in
            state.flights[fingerprint] = nil
            guard case .verified(let principal) = outcome, ttl > .zero else { return }
            if state.entries.count >= Self.pruneThreshold {
                state.entries = state.entries.filter { $0.value.expires > now }
            }
            state.entries[fingerprint] = Entry(principal: principal, expires: expires)
        }
    }
}
