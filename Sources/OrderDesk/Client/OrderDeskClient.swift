import JSON
import Logging

/// The OrderDesk API v2 client: one per process, shared by every tenant and store.
///
/// It owns the connection pool (libcurl easy handles, each keeping its connections alive) and the
/// threads transfers run on. Credentials are not part of the client: `store(_:)` returns a cheap
/// handle that sends a given store's id and key with each of its requests, so one pool of
/// connections serves any number of stores.
///
/// Call `shutdown()` before dropping the last reference.
public final class OrderDeskClient: Sendable {
    public let configuration: OrderDeskConfiguration
    let logger: Logger
    private let transport: CurlTransport

    public init(
        configuration: OrderDeskConfiguration = OrderDeskConfiguration(),
        logger: Logger = Logger(label: "orderdesk.client")
    ) {
        self.configuration = configuration
        self.logger = logger
        self.transport = CurlTransport(threads: configuration.maxConnections)
    }

    /// The API of one store, authenticated with `credentials` on every request.
    public func store(_ credentials: StoreCredentials) -> StoreAPI {
        StoreAPI(client: self, credentials: credentials)
    }

    /// `store(_:)`, plus `onRateLimited`: called with OrderDesk's requested wait (`X-Retry-After`)
    /// whenever a call of this handle ends `rateLimited`.
    public func store(
        _ credentials: StoreCredentials, onRateLimited: @escaping @Sendable (Duration) async -> Void
    ) -> StoreAPI {
        StoreAPI(client: self, credentials: credentials, onRateLimited: onRateLimited)
    }

    /// Transfers made and connections opened so far: `connectionsOpened` well below `transfers`
    /// shows that connections are reused.
    public var statistics: ConnectionStatistics { transport.statistics }

    /// Waits for running transfers, stops the threads and closes the kept-alive connections.
    public func shutdown() async {
        await transport.shutdown()
    }

    /// Sends `request` for `credentials`' store, retrying per `configuration.retry` within one
    /// overall deadline, and returns the response's top-level JSON object.
    ///
    /// Throws `OrderDeskError` (its texts not yet redacted; `StoreAPI` does that) or
    /// `CancellationError`.
    func send(_ request: UpstreamRequest, as credentials: StoreCredentials) async throws -> [String: JSONValue] {
        guard credentials.headerSafe else {
            throw OrderDeskError.invalidRequest(
                "The store id and API key must be non-empty and must not contain control characters.")
        }
        let deadline = ContinuousClock.now + configuration.timeout
        let transfer = Transfer(
            method: request.method, url: request.url(base: configuration.baseURL),
            headers: headers(for: credentials, hasBody: request.body != nil), body: request.body?.encoded(),
            connectTimeout: configuration.connectTimeout, deadline: deadline,
            maxResponseBytes: configuration.maxResponseBytes)
        var attempt = 0
        while true {
            attempt += 1
            let verdict: AttemptVerdict
            do {
                let result = try await transport.perform(transfer)
                UpstreamMetrics.attempt(request, outcome: result.outcome)
                verdict = request.verdict(for: result.outcome, timeout: configuration.timeout)
            } catch let failure as TransportFailure {
                UpstreamMetrics.attempt(request, outcome: .failure(failure))
                verdict = request.verdict(for: .failure(failure), timeout: configuration.timeout)
            }
            switch verdict {
            case .success(let fields):
                return fields
            case .fail(let error):
                log(request, attempt: attempt, error: error, level: .debug, "OrderDesk request failed")
                throw error
            case .retry(let error, let notBefore):
                let retry = attempt - 1
                var wait = configuration.retry.delay(forRetry: retry)
                if let notBefore { wait = max(wait, notBefore) }
                // Never sleep past the deadline: an attempt after it could not run anyway.
                guard retry < configuration.retry.maxRetries, ContinuousClock.now + wait < deadline else {
                    log(request, attempt: attempt, error: error, level: .info, "OrderDesk request gave up")
                    throw error.givingUp(after: attempt)
                }
                UpstreamMetrics.retry(request, reason: error)
                var logger = self.logger
                logger[metadataKey: "wait_ms"] = "\(wait.wholeMilliseconds)"
                log(request, attempt: attempt, error: error, level: .info, "retrying OrderDesk request", logger: logger)
                try await Task.sleep(for: wait)
            }
        }
    }

    private func headers(for credentials: StoreCredentials, hasBody: Bool) -> [String] {
        var headers = [
            "ORDERDESK-STORE-ID: \(credentials.storeID)",
            "ORDERDESK-API-KEY: \(credentials.apiKey)",
            "Accept: application/json",
            "User-Agent: \(configuration.userAgent)",
            // No `Expect: 100-continue` round trip for larger bodies.
            "Expect:",
        ]
        // OrderDesk's best-practice text counts a Content-Type on a bodiless GET as invalid.
        if hasBody { headers.append("Content-Type: application/json") }
        return headers
    }

    private func log(
        _ request: UpstreamRequest, attempt: Int, error: OrderDeskError, level: Logger.Level, _ message: Logger.Message,
        logger: Logger? = nil
    ) {
        var logger = logger ?? self.logger
        logger[metadataKey: "method"] = "\(request.method.rawValue)"
        logger[metadataKey: "path"] = "\(request.logPath)"
        logger[metadataKey: "attempt"] = "\(attempt)"
        logger[metadataKey: "error"] = "\(error.code)"
        if let status = error.httpStatus { logger[metadataKey: "http_status"] = "\(status)" }
        logger.log(level: level, message)
    }
}

extension OrderDeskError {
    /// The final error of a retried call, saying how many attempts were made.
    func givingUp(after attempts: Int) -> OrderDeskError {
        guard attempts > 1 else { return self }
        return OrderDeskError(
            code, message + " (gave up after \(attempts) attempts)", httpStatus: httpStatus, retryAfter: retryAfter,
            currentDateUpdated: currentDateUpdated)
    }
}
