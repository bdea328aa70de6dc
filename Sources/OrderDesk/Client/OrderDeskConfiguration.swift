/// How the client reaches OrderDesk: where, how long to wait, how often to retry, how many
/// connections to keep.
public struct OrderDeskConfiguration: Sendable, Hashable {
    /// The version sent in the default `User-Agent` (`orderdesk-mcp/<version>`).
    public static let clientVersion = "0.1.0"
    public static let defaultBaseURL = "https://app.orderdesk.me/api/v2"

    /// The API root, without a trailing slash. Default `https://app.orderdesk.me/api/v2`.
    public var baseURL: String {
        get { normalizedBaseURL }
        set { normalizedBaseURL = Self.normalized(newValue) }
    }
    private var normalizedBaseURL: String
    /// The longest a TCP (and TLS) connection setup may take. Default 15 s.
    public var connectTimeout: Duration
    /// The overall deadline of one call, including every retry and backoff wait. Each attempt gets
    /// the time that is left; a wait that would end past the deadline is not started. Default 60 s.
    public var timeout: Duration
    /// Retries of 429, 500, 502, 503, 504 and network errors. Default 3 retries, 1 s · 2ⁿ.
    public var retry: RetryPolicy
    /// Retries of `updateOrder` after HTTP 409. Default 5 retries, 0.5 s · 2ⁿ up to 8 s.
    public var conflictRetry: RetryPolicy
    /// Concurrent transfers, which is also the number of libcurl handles (each keeping its own
    /// connections alive) and of threads in the client's thread pool. Default 8.
    public var maxConnections: Int
    /// Default `orderdesk-mcp/<clientVersion>`.
    public var userAgent: String
    /// Responses larger than this are abandoned as `badResponse`. Default 32 MiB.
    public var maxResponseBytes: Int

    public init(
        baseURL: String = OrderDeskConfiguration.defaultBaseURL,
        connectTimeout: Duration = .seconds(15),
        timeout: Duration = .seconds(60),
        retry: RetryPolicy = .upstreamDefault,
        conflictRetry: RetryPolicy = .conflictDefault,
        maxConnections: Int = 8,
        userAgent: String = "orderdesk-mcp/\(OrderDeskConfiguration.clientVersion)",
        maxResponseBytes: Int = 32 << 20
    ) {
        self.normalizedBaseURL = Self.normalized(baseURL)
        self.connectTimeout = max(.milliseconds(1), connectTimeout)
        self.timeout = max(.milliseconds(1), timeout)
        self.retry = retry
        self.conflictRetry = conflictRetry
        self.maxConnections = max(1, maxConnections)
        self.userAgent = userAgent
        self.maxResponseBytes = max(1024, maxResponseBytes)
    }

    private static func normalized(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
