import Foundation
import Synchronization

/// Per-replica memory of verified keys, plus the checks in progress, so that argon2 runs once per
/// key per replica per `memory` period (24 h by default) rather than once per `ttl` (60 s).
///
/// An entry is *trusted* for `ttl` after its last check: a request is answered from memory, with no
/// database work. After that it is *remembered* until `memory` after its last argon2 verification:
/// the next request looks the fingerprint up again (the same lookup a first use does) and, when the
/// row is still the one argon2 accepted (same key id, tenant and stored hash), takes the row's
/// current revocation, tenant status, scopes and stores without running argon2. A different row or
/// stored hash (a re-issued or re-hashed key) means a full verification. So revocation still takes
/// effect within `ttl`, and scope or store changes are picked up at the next check.
///
/// Keyed by the HMAC fingerprint, not the key: the key itself is never kept. Two different keys
/// cannot share a fingerprint (HMAC-SHA256 of 256-bit keys), so an entry is for the presented key;
/// that is what makes skipping argon2 sound when the stored hash is the one the key verified against.
/// Only successes are remembered; a refused key is checked again (and counted) every time.
///
/// At most `capacity` entries are kept; beyond it the least recently used go first.
final class VerifiedKeyCache: Sendable {
    /// The key row argon2 accepted. Remembered so a later lookup can tell whether it is still the
    /// same row with the same stored hash (no secret: the digest is of the stored argon2id string).
    struct VerifiedRow: Sendable, Equatable {
        let keyID: UUID
        let tenantID: UUID
        /// SHA-256 of the stored `key_hash` (argon2id PHC string).
        let storedHashDigest: [UInt8]
    }

    /// A remembered key whose trust period has ended: what the check of it compares the row with.
    struct Remembered: Sendable {
        let row: VerifiedRow
        /// When a full verification is due again, whatever the lookup says.
        let until: ContinuousClock.Instant
    }

    /// What a check of a key found.
    enum Outcome: Sendable {
        /// argon2 ran and accepted the key.
        case verified(TenantPrincipal, VerifiedRow)
        /// The lookup found the remembered row unchanged: accepted without argon2.
        case revalidated(TenantPrincipal, Remembered)
        /// The key is refused (unknown, wrong, revoked, tenant disabled).
        case refused(AuthenticationFailure.Reason)
    }

    /// How a request for a key that is not trusted right now is answered.
    enum Answer: Sendable {
        /// Trusted after all (a check ended between the caller's miss and now).
        case trusted(TenantPrincipal)
        /// A check of the key; `joined`: started by another request, this one only waits for it.
        case check(Task<Outcome, any Error>, joined: Bool)
    }

    private struct Entry {
        var principal: TenantPrincipal
        let row: VerifiedRow
        var trustedUntil: ContinuousClock.Instant
        let rememberedUntil: ContinuousClock.Instant
        /// Order of last use (larger = more recent), for eviction.
        var lastUse: UInt64

        func isLive(at now: ContinuousClock.Instant) -> Bool { trustedUntil > now || rememberedUntil > now }
    }

    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        var checks: [[UInt8]: Task<Outcome, any Error>] = [:]
        var useCounter: UInt64 = 0

        mutating func nextUse() -> UInt64 {
            useCounter &+= 1
            return useCounter
        }
    }

    private let ttl: Duration
    private let memory: Duration
    private let capacity: Int
    private let now: InstantSource
    private let state = Mutex(State())

    /// - Parameters:
    ///   - ttl: how long a checked key is trusted without asking the database.
    ///   - memory: how long after its argon2 verification a key may be re-checked by lookup alone;
    ///     at or below `ttl`, every check after the trust period is a full verification.
    ///   - capacity: the most keys remembered at once (at least 1).
    init(ttl: Duration, memory: Duration = .zero, capacity: Int = 10_000, now: @escaping InstantSource = { .now }) {
        self.ttl = ttl
        self.memory = memory
        self.capacity = max(1, capacity)
        self.now = now
    }

    /// The principal for `fingerprint` if it is trusted right now (no database work needed).
    func principal(for fingerprint: [UInt8]) -> TenantPrincipal? {
        let now = self.now()
        return state.withLock { state in
            guard let entry = state.entries[fingerprint], entry.trustedUntil > now else { return nil }
            let use = state.nextUse()
            state.entries[fingerprint]?.lastUse = use
            return entry.principal
        }
    }

    /// The check of `fingerprint` already running, or a new one running `work` (given what is
    /// remembered of the key, if anything). When it ends, its outcome is stored and the check removed
    /// in one step, so no request can slip between the two and check again.
    func check(
        _ fingerprint: [UInt8], _ work: @escaping @Sendable (Remembered?) async throws -> Outcome
    ) -> Answer {
        let now = self.now()
        return state.withLock { state in
            if let running = state.checks[fingerprint] { return .check(running, joined: true) }
            var remembered: Remembered?
            if let entry = state.entries[fingerprint] {
                if entry.trustedUntil > now { return .trusted(entry.principal) }
                if entry.rememberedUntil > now {
                    remembered = Remembered(row: entry.row, until: entry.rememberedUntil)
                } else {
                    state.entries[fingerprint] = nil
                }
            }
            let known = remembered
            let task = Task<Outcome, any Error> {
                do {
                    let outcome = try await work(known)
                    self.finish(fingerprint, outcome)
                    return outcome
                } catch {
                    self.finish(fingerprint, nil)
                    throw error
                }
            }
            state.checks[fingerprint] = task
            return .check(task, joined: false)
        }
    }

    /// How many keys are remembered (trusted or not).
    var count: Int { state.withLock { $0.entries.count } }

    /// Stores a check's outcome. A failed check (`nil`: the database could not be asked) leaves the
    /// memory as it was, so the next request checks again.
    private func finish(_ fingerprint: [UInt8], _ outcome: Outcome?) {
        let now = self.now()
        state.withLock { state in
            state.checks[fingerprint] = nil
            switch outcome {
            case .verified(let principal, let row):
                let entry = Entry(
                    principal: principal, row: row, trustedUntil: now + ttl, rememberedUntil: now + memory,
                    lastUse: state.nextUse())
                store(entry, for: fingerprint, now: now, in: &state)
            case .revalidated(let principal, let remembered):
                let entry = Entry(
                    principal: principal, row: remembered.row, trustedUntil: now + ttl,
                    rememberedUntil: remembered.until, lastUse: state.nextUse())
                store(entry, for: fingerprint, now: now, in: &state)
            case .refused:
                state.entries[fingerprint] = nil
            case nil:
                break
            }
        }
    }

    private func store(_ entry: Entry, for fingerprint: [UInt8], now: ContinuousClock.Instant, in state: inout State) {
        guard entry.isLive(at: now) else {
            state.entries[fingerprint] = nil
            return
        }
        if state.entries[fingerprint] == nil, state.entries.count >= capacity {
            makeRoom(now: now, in: &state)
        }
        state.entries[fingerprint] = entry
    }

    /// Drops what has expired and, if still full, the least recently used keys: 1/64 of the capacity
    /// at a time, so that with more live keys than room the sort is paid once per many inserts.
    private func makeRoom(now: ContinuousClock.Instant, in state: inout State) {
        state.entries = state.entries.filter { $0.value.isLive(at: now) }
        guard state.entries.count >= capacity else { return }
        let excess = state.entries.count - capacity + max(1, capacity / 64)
        guard excess > 0 else { return }
        let oldest = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(excess)
        for (fingerprint, _) in oldest { state.entries[fingerprint] = nil }
    }
}
