import Foundation
import Synchronization

/// Store API keys decrypted for checking webhook signatures, kept briefly so that a burst of
/// OrderDesk posts for one store decrypts its key once, not once per post.
///
/// Entries live `lifetime` (60 s by default) and at most `capacity` are kept; when full, the table
/// starts over (a miss only costs one decryption). A store row's key never changes (registering the
/// store again makes a new row), so an entry cannot go stale, only be forgotten.
final class WebhookSigningKeys: Sendable {
    private struct Entry {
        let key: [UInt8]
        let expires: ContinuousClock.Instant
    }

    private let lifetime: Duration
    private let capacity: Int
    private let entries = Mutex([UUID: Entry]())

    init(lifetime: Duration = .seconds(60), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// The cached key of store row `storeRowID`, if it has not expired.
    func key(for storeRowID: UUID) -> [UInt8]? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[storeRowID] else { return nil }
            guard entry.expires > now else {
                entries[storeRowID] = nil
                return nil
            }
            return entry.key
        }
    }

    func remember(_ key: [UInt8], for storeRowID: UUID) {
        let entry = Entry(key: key, expires: ContinuousClock.now + lifetime)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[storeRowID] = entry
        }
    }
}
