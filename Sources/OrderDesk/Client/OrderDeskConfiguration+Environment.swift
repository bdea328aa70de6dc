extension OrderDeskConfiguration {
    /// Reads the configuration from environment variables; unset variables keep their defaults.
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
    ///
    /// Throws a `validation` error naming the variable when a value is malformed.
    public init(environment: [String: String]) throws {
        self.init()
        let reader = EnvironmentReader(environment)
        if let url = reader.text("ORDERDESK_BASE_URL") {
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw OrderDeskError.invalidRequest("ORDERDESK_BASE_URL must start with https:// or http://.")
            }
            baseURL = url
        }
        connectTimeout = try reader.milliseconds("ORDERDESK_CONNECT_TIMEOUT_MS", minimum: 1) ?? connectTimeout
        timeout = try reader.milliseconds("ORDERDESK_TIMEOUT_MS", minimum: 1) ?? timeout
        retry = RetryPolicy(
            maxRetries: try reader.integer("ORDERDESK_MAX_RETRIES", minimum: 0) ?? retry.maxRetries,
            baseDelay: try reader.milliseconds("ORDERDESK_RETRY_BASE_MS", minimum: 0) ?? retry.baseDelay,
            maxDelay: try reader.milliseconds("ORDERDESK_RETRY_MAX_MS", minimum: 0) ?? retry.maxDelay,
            jitter: try reader.fraction("ORDERDESK_RETRY_JITTER") ?? retry.jitter)
        conflictRetry = RetryPolicy(
            maxRetries: try reader.integer("ORDERDESK_CONFLICT_RETRIES", minimum: 0) ?? conflictRetry.maxRetries,
            baseDelay: try reader.milliseconds("ORDERDESK_CONFLICT_BASE_MS", minimum: 0) ?? conflictRetry.baseDelay,
            maxDelay: try reader.milliseconds("ORDERDESK_CONFLICT_MAX_MS", minimum: 0) ?? conflictRetry.maxDelay,
            jitter: retry.jitter)
        maxConnections = try reader.integer("ORDERDESK_MAX_CONNECTIONS", minimum: 1) ?? maxConnections
        maxResponseBytes = try reader.integer("ORDERDESK_MAX_RESPONSE_BYTES", minimum: 1024) ?? maxResponseBytes
    }
}

/// Typed reads of environment variables with an error that names the variable (never its value,
/// which could be a misplaced secret).
private struct EnvironmentReader {
    let environment: [String: String]
    init(_ environment: [String: String]) { self.environment = environment }

    func text(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingWhitespace, !value.isEmpty else { return nil }
        return value
    }

    func integer(_ name: String, minimum: Int) throws -> Int? {
        guard let text = text(name) else { return nil }
        guard let value = Int(text), value >= minimum else {
            throw OrderDeskError.invalidRequest("\(name) must be an integer ≥ \(minimum).")
        }
        return value
    }

    func milliseconds(_ name: String, minimum: Int) throws -> Duration? {
        try integer(name, minimum: minimum).map { .milliseconds($0) }
    }

    func fraction(_ name: String) throws -> Double? {
        guard let text = text(name) else { return nil }
        guard let value = Double(text), (0...1).contains(value) else {
            throw OrderDeskError.invalidRequest("\(name) must be a number between 0 and 1.")
        }
        return value
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
