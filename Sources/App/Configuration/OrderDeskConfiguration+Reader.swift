import OrderDesk

extension OrderDeskConfiguration {
    /// Reads the upstream client's settings; unset variables keep `OrderDeskConfiguration()`'s defaults.
    ///
    /// | variable | default | meaning |
    /// |---|---|---|
    /// | `ORDERDESK_BASE_URL` | `https://app.orderdesk.me/api/v2` | API root (`http` or `https`) |
    /// | `ORDERDESK_CONNECT_TIMEOUT_MS` | `15000` | connection setup limit |
    /// | `ORDERDESK_TIMEOUT_MS` | `60000` | overall deadline of one call, retries included |
    /// | `ORDERDESK_MAX_RETRIES` | `3` | retries of 429/5xx/network errors |
    /// | `ORDERDESK_RETRY_BASE_MS` | `1000` | first backoff wait, doubled each retry |
    /// | `ORDERDESK_RETRY_MAX_MS` | `30000` | longest backoff wait |
    /// | `ORDERDESK_RETRY_JITTER` | `0.2` | random ± fraction applied to every wait |
    /// | `ORDERDESK_CONFLICT_RETRIES` | `5` | re-fetch/re-merge rounds after HTTP 409 |
    /// | `ORDERDESK_CONFLICT_BASE_MS` | `500` | first conflict wait, doubled each round |
    /// | `ORDERDESK_CONFLICT_MAX_MS` | `8000` | longest conflict wait |
    /// | `ORDERDESK_MAX_CONNECTIONS` | `8` | concurrent transfers / kept-alive connection slots |
    /// | `ORDERDESK_MAX_RESPONSE_BYTES` | `33554432` | larger responses are rejected |
    public init(reader: EnvironmentReader) throws {
        self.init()
        if let url = reader.text("ORDERDESK_BASE_URL") {
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw ConfigurationError(variable: "ORDERDESK_BASE_URL", problem: "must start with https:// or http://")
            }
            baseURL = url
        }
        func milliseconds(_ variable: String, minimum: Int) throws -> Duration? {
            try reader.optionalInteger(variable, range: minimum...Int.max).map { .milliseconds($0) }
        }
        connectTimeout = try milliseconds("ORDERDESK_CONNECT_TIMEOUT_MS", minimum: 1) ?? connectTimeout
        timeout = try milliseconds("ORDERDESK_TIMEOUT_MS", minimum: 1) ?? timeout
        retry = RetryPolicy(
            maxRetries: try reader.optionalInteger("ORDERDESK_MAX_RETRIES", range: 0...Int.max) ?? retry.maxRetries,
            baseDelay: try milliseconds("ORDERDESK_RETRY_BASE_MS", minimum: 0) ?? retry.baseDelay,
            maxDelay: try milliseconds("ORDERDESK_RETRY_MAX_MS", minimum: 0) ?? retry.maxDelay,
            jitter: try reader.optionalNumber("ORDERDESK_RETRY_JITTER", range: 0...1) ?? retry.jitter)
        conflictRetry = RetryPolicy(
            maxRetries: try reader.optionalInteger("ORDERDESK_CONFLICT_RETRIES", range: 0...Int.max)
                ?? conflictRetry.maxRetries,
            baseDelay: try milliseconds("ORDERDESK_CONFLICT_BASE_MS", minimum: 0) ?? conflictRetry.baseDelay,
            maxDelay: try milliseconds("ORDERDESK_CONFLICT_MAX_MS", minimum: 0) ?? conflictRetry.maxDelay,
            jitter: retry.jitter)
        maxConnections = try reader.optionalInteger("ORDERDESK_MAX_CONNECTIONS", range: 1...Int.max) ?? maxConnections
        maxResponseBytes =
            try reader.optionalInteger("ORDERDESK_MAX_RESPONSE_BYTES", range: 1024...Int.max) ?? maxResponseBytes
    }
}
