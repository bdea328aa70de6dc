/// The pauses of a caller waiting for something another request holds (an order's update lease, an
/// idempotency key whose create is in flight): short at first, doubling up to `cap`, with ±50 %
/// jitter so many waiters spread out, and the last one ending at the deadline so the final attempt
/// still happens.
struct RetryPause {
    private var pause: Duration
    private let cap: Duration
    private let deadline: ContinuousClock.Instant

    init(first: Duration, cap: Duration, deadline: ContinuousClock.Instant) {
        self.pause = first
        self.cap = cap
        self.deadline = deadline
    }

    /// Sleeps before the next attempt; false (without sleeping) once the deadline has passed.
    mutating func wait() async throws -> Bool {
        let now = ContinuousClock.now
        guard now < deadline else { return false }
        try await Task.sleep(for: min(pause * Double.random(in: 0.5...1.5), deadline - now))
        pause = min(pause * 2, cap)
        return true
    }
}
