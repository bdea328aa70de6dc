import Foundation
import NIOPosix

/// Fetches and validates OAuth Client ID Metadata Documents: the JSON an MCP client publishes at the
/// https URL it uses as `client_id` (MCP 2026-07-28 "Client Registration").
///
/// The URL is chosen by whoever starts an authorization, so the fetch is locked down (see
/// `ClientMetadataTransfer` and `PeerAddressPolicy`): https only, certificate verified, no redirects,
/// no proxy, no private or special-purpose peer unless allow-listed (checked on the resolved address),
/// a size cap enforced while reading, connect and total timeouts. libcurl runs on the fetcher's own
/// threads, never on an event loop or the cooperative pool; results are cached briefly.
///
/// ```swift
/// let fetcher = ClientMetadataFetcher(configuration: try .init(reader: reader))
/// let document = try await fetcher.document(for: clientID)   // throws ClientMetadataError
/// guard document.allowsRedirect(to: redirectURI) else { … }
/// ```
public final class ClientMetadataFetcher: Sendable {
    private let configuration: ClientMetadataFetchConfiguration
    private let threadPool: NIOThreadPool
    private let cache: ClientMetadataCache

    /// - Parameters:
    ///   - threads: fetches that may block at once; more wait (asynchronously) for a free thread.
    ///   - maximumFetches: fetches running or waiting for a thread at once; a new URL beyond that
    ///     fails at once with `unavailable` (not remembered).
    ///   - now: the clock the cache's lifetimes are measured with (a manual one in tests).
    public init(
        configuration: ClientMetadataFetchConfiguration, threads: Int = 2, maximumFetches: Int = 32,
        now: @escaping InstantSource = { .now }
    ) {
        self.configuration = configuration
        threadPool = NIOThreadPool(numberOfThreads: max(1, threads))
        threadPool.start()
        cache = ClientMetadataCache(capacity: configuration.cacheCapacity, maximumFetches: maximumFetches, now: now)
    }

    deinit {
        threadPool.shutdownGracefully { _ in }
    }

    /// The validated document for `clientID`, from the cache or fetched now.
    ///
    /// A URL that fails `ClientIDURL`'s rules is refused without any network traffic.
    public func document(for clientID: String) async throws(ClientMetadataError) -> ClientMetadataDocument {
        let url = try ClientIDURL.validate(clientID)
        let configuration = self.configuration
        let threadPool = self.threadPool
        return try await cache.outcome(for: url) {
            let fetched: Result<FetchedMetadata, ClientMetadataError>
            do {
                fetched = try await threadPool.runIfActive {
                    ClientMetadataTransfer(url: url, configuration: configuration).perform()
                }
            } catch {
                // Shut down: not remembered, the next call fails the same way anyway.
                return (.failure(ClientMetadataError(.unavailable)), .zero)
            }
            switch fetched {
            case .failure(let error):
                return (.failure(error), configuration.failureTTL)
            case .success(let response):
                let outcome = Result { () throws(ClientMetadataError) in
                    try ClientMetadataDocument(parsing: response.body, fetchedFrom: url)
                }
                guard case .success = outcome else { return (outcome, configuration.failureTTL) }
                return (outcome, Self.lifetime(cacheControl: response.cacheControl, limit: configuration.cacheTTL))
            }
        }.get()
    }

    /// How many documents and failures are remembered now.
    public var cachedCount: Int { cache.count }

    /// Waits for running fetches and stops the threads; later calls fail with `unavailable`.
    public func shutdown() async {
        try? await threadPool.shutdownGracefully()
    }

    /// The configured lifetime, shortened by `max-age`, zero for `no-store` / `no-cache`.
    static func lifetime(cacheControl: String?, limit: Duration) -> Duration {
        guard let cacheControl else { return limit }
        var lifetime = limit
        for directive in cacheControl.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            switch parts.first {
            case "no-store", "no-cache": return .zero
            case "max-age":
                guard parts.count == 2, let seconds = Int(parts[1].trimmingCharacters(in: ["\""])), seconds >= 0 else {
                    return .zero
                }
                lifetime = min(lifetime, .seconds(seconds))
            default: continue
            }
        }
        return lifetime
    }
}
