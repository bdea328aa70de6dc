import Foundation

/// Recently fetched documents and failures, by client_id URL, plus the fetches in progress, so that
/// many authorization requests for one client cause one fetch (concurrent ones wait for the same
/// fetch), and a slow or broken URL costs one fetch per failure period.
///
/// Bounded: at most `capacity` entries, fetches in progress included; expired ones go first, then
/// the oldest finished one. At most `maximumFetches` fetches run or wait for a thread at once: a new
/// URL beyond that (or when every entry is a fetch in progress) is refused at once with
/// `unavailable`, not remembered, so URLs that never answer cannot queue work without bound or hold
/// up the documents of other clients for long.
///
/// `@unchecked Sendable`: the mutable state is only touched under `lock`.
final class ClientMetadataCache: @unchecked Sendable {
    typealias Outcome = Result<ClientMetadataDocument, ClientMetadataError>

    private enum Entry {
        case fetching(Task<(Outcome, Duration), Never>)
        case done(Outcome, expires: ContinuousClock.Instant, stored: ContinuousClock.Instant)
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var fetching = 0
    private let capacity: Int
    private let maximumFetches: Int
    private let now: InstantSource

    init(capacity: Int, maximumFetches: Int = 32, now: @escaping InstantSource) {
        self.capacity = max(1, capacity)
        self.maximumFetches = max(1, maximumFetches)
        self.now = now
    }

    /// The remembered outcome for `url`, or the result of `fetch`, which returns the outcome and how
    /// long to remember it (zero: not at all). A caller joining a fetch in progress waits for it; the
    /// fetch itself is not cancelled with any one caller (it is bounded by the fetch timeout).
    func outcome(
        for url: String, fetch: @escaping @Sendable () async -> (Outcome, Duration)
    ) async -> Outcome {
        let entry = lock.withLock { () -> Entry? in
            if case .done(_, let expires, _) = entries[url], now() < expires { return entries[url]! }
            if case .fetching = entries[url] { return entries[url]! }
            entries[url] = nil
            guard fetching < maximumFetches, makeRoom() else { return nil }
            let task = Task { await fetch() }
            entries[url] = .fetching(task)
            fetching += 1
            return .fetching(task)
        }
        let task: Task<(Outcome, Duration), Never>
        switch entry {
        case .none: return .failure(ClientMetadataError(.unavailable))
        case .done(let outcome, _, _): return outcome
        case .fetching(let running): task = running
        }
        let (outcome, lifetime) = await task.value
        lock.withLock {
            // Only the fetch that is still registered for `url` records its result.
            guard case .fetching(let current) = entries[url], current == task else { return }
            fetching -= 1
            if lifetime > .zero {
                let stored = now()
                entries[url] = .done(outcome, expires: stored + lifetime, stored: stored)
            } else {
                entries[url] = nil
            }
        }
        return outcome
    }

    var count: Int { lock.withLock { entries.count } }

    /// Fetches running or waiting for a thread now.
    var fetchesInProgress: Int { lock.withLock { fetching } }

    /// Called under `lock`, before adding an entry: frees one place if the cache is full (expired
    /// entries, then the oldest finished one); false when every entry is a fetch in progress.
    private func makeRoom() -> Bool {
        guard entries.count >= capacity else { return true }
        let instant = now()
        for (url, entry) in entries {
            if case .done(_, let expires, _) = entry, expires <= instant { entries[url] = nil }
        }
        guard entries.count >= capacity else { return true }
        let oldest = entries.compactMap { url, entry -> (String, ContinuousClock.Instant)? in
            guard case .done(_, _, let stored) = entry else { return nil }
            return (url, stored)
        }.min { $0.1 < $1.1 }
        guard let oldest else { return false }
        entries[oldest.0] = nil
        return true
    }
}
