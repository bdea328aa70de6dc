import CoreMetrics

/// The connection pool's numbers for `/metrics` (no labels: one pool per process).
enum PoolMetrics {
    static func waited(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Timer(label: "odmcp_db_pool_wait_seconds").recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    static func timedOut() {
        Counter(label: "odmcp_db_pool_timeouts_total").increment()
    }
}
