import Synchronization

/// A clock that moves only when told to, for the in-memory TTLs and buckets that take an injected
/// `@Sendable () -> ContinuousClock.Instant` (`InstantSource`, `InstantSource`).
final class ManualClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    var now: @Sendable () -> ContinuousClock.Instant { { self.instant.withLock { $0 } } }

    func advance(by duration: Duration) {
        instant.withLock { $0 = $0.advanced(by: duration) }
    }
}
