import Synchronization

/// How the verified-key cache answered a request with a well-formed master key; the `result` label
/// of `odmcp_key_cache_total`.
public enum KeyCacheResult: String, Sendable, CaseIterable {
    /// Trusted from memory (or from another request's check of the same key): no database work.
    case hit
    /// Looked up after the trust period; the row and stored hash were unchanged, so no argon2.
    case revalidated
    /// Looked up and verified with argon2 (first use, forgotten, or a changed stored hash).
    case verified
    /// Refused by the lookup or by argon2 (unknown, wrong, revoked, tenant disabled).
    case refused
}

/// Counts of `KeyCacheResult` for one `Authenticator` (the metric counts the whole process).
public struct KeyCacheCounts: Sendable, Equatable {
    public var hit = 0
    public var revalidated = 0
    public var verified = 0
    public var refused = 0

    public init(hit: Int = 0, revalidated: Int = 0, verified: Int = 0, refused: Int = 0) {
        self.hit = hit
        self.revalidated = revalidated
        self.verified = verified
        self.refused = refused
    }
}

/// Lock-free tally behind `Authenticator.keyCacheCounts`.
final class KeyCacheTally: Sendable {
    private let hit = Atomic<Int>(0)
    private let revalidated = Atomic<Int>(0)
    private let verified = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    func record(_ result: KeyCacheResult) {
        switch result {
        case .hit: hit.add(1, ordering: .relaxed)
        case .revalidated: revalidated.add(1, ordering: .relaxed)
        case .verified: verified.add(1, ordering: .relaxed)
        case .refused: refused.add(1, ordering: .relaxed)
        }
        ServiceMetrics.keyCache(result)
    }

    var counts: KeyCacheCounts {
        KeyCacheCounts(
            hit: hit.load(ordering: .relaxed), revalidated: revalidated.load(ordering: .relaxed),
            verified: verified.load(ordering: .relaxed), refused: refused.load(ordering: .relaxed))
    }
}
