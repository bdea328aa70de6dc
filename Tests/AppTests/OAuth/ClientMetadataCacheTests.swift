import Synchronization
import Testing

@testable import App

@Suite struct ClientMetadataCacheTests {
    private let document = ClientMetadataDocument.sample

    /// Counts fetches per URL and answers with the sample document, remembered for `lifetime`.
    private final class Origin: Sendable {
        let calls = Mutex<[String]>([])
        let lifetime: Duration

        init(lifetime: Duration) { self.lifetime = lifetime }

        func fetch(_ url: String) -> @Sendable () async -> (ClientMetadataCache.Outcome, Duration) {
            { [self] in
                calls.withLock { $0.append(url) }
                return (.success(.sample), lifetime)
            }
        }

        func count(_ url: String) -> Int { calls.withLock { $0.filter { $0 == url }.count } }
    }

    @Test func theCacheHoldsAtMostItsCapacityDroppingTheOldest() async {
        let clock = ManualClock()
        let cache = ClientMetadataCache(capacity: 2, now: clock.now)
        let origin = Origin(lifetime: .seconds(300))
        for url in ["https://a.example/c", "https://b.example/c", "https://c.example/c"] {
            _ = await cache.outcome(for: url, fetch: origin.fetch(url))
            clock.advance(by: .seconds(1))
        }
        #expect(cache.count == 2)
        _ = await cache.outcome(for: "https://c.example/c", fetch: origin.fetch("https://c.example/c"))
        _ = await cache.outcome(for: "https://b.example/c", fetch: origin.fetch("https://b.example/c"))
        #expect(origin.count("https://c.example/c") == 1)
        #expect(origin.count("https://b.example/c") == 1)
        _ = await cache.outcome(for: "https://a.example/c", fetch: origin.fetch("https://a.example/c"))
        #expect(origin.count("https://a.example/c") == 2)
        #expect(cache.count == 2)
    }

    /// A fetch that hangs until the test opens the gate (a URL that never answers).
    private final class Gate: Sendable {
        let stream: AsyncStream<Void>
        let continuation: AsyncStream<Void>.Continuation

        init() { (stream, continuation) = AsyncStream<Void>.makeStream() }

        func fetch() -> @Sendable () async -> (ClientMetadataCache.Outcome, Duration) {
            { [self] in
                for await _ in stream {}
                return (.success(.sample), .seconds(300))
            }
        }

        func open() { continuation.finish() }
    }

    private static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }

    @Test func fetchesBeyondTheCapAreRefusedAtOnceAndNotRemembered() async throws {
        let cache = ClientMetadataCache(capacity: 100, maximumFetches: 2, now: { .now })
        let gate = Gate()
        let hanging = ["https://a.example/c", "https://b.example/c"].map { url in
            Task { await cache.outcome(for: url, fetch: gate.fetch()) }
        }
        try await Self.waitUntil { cache.fetchesInProgress == 2 }
        let origin = Origin(lifetime: .seconds(300))
        // A third URL is refused without a fetch; joining a running fetch is not a new one.
        let refused = await cache.outcome(for: "https://c.example/c", fetch: origin.fetch("https://c.example/c"))
        #expect(refused == .failure(ClientMetadataError(.unavailable)))
        #expect(origin.count("https://c.example/c") == 0)
        let joining = Task { await cache.outcome(for: "https://a.example/c", fetch: origin.fetch("https://a.example/c")) }
        gate.open()
        for task in hanging + [joining] { #expect(try await task.value.get() == .sample) }
        #expect(origin.count("https://a.example/c") == 0)
        #expect(cache.fetchesInProgress == 0)
        // With the fetches done, the refused URL is fetched (the refusal was not remembered).
        #expect(try await cache.outcome(for: "https://c.example/c", fetch: origin.fetch("https://c.example/c")).get() == .sample)
        #expect(origin.count("https://c.example/c") == 1)
    }

    @Test func fetchesInProgressCountAgainstTheCapacity() async throws {
        let cache = ClientMetadataCache(capacity: 2, maximumFetches: 32, now: { .now })
        let gate = Gate()
        let hanging = ["https://a.example/c", "https://b.example/c"].map { url in
            Task { await cache.outcome(for: url, fetch: gate.fetch()) }
        }
        try await Self.waitUntil { cache.fetchesInProgress == 2 }
        let origin = Origin(lifetime: .seconds(300))
        let refused = await cache.outcome(for: "https://c.example/c", fetch: origin.fetch("https://c.example/c"))
        #expect(refused == .failure(ClientMetadataError(.unavailable)))
        #expect(cache.count == 2)
        gate.open()
        for task in hanging { _ = await task.value }
        // Finished entries make room for new ones again (the oldest goes).
        #expect(try await cache.outcome(for: "https://c.example/c", fetch: origin.fetch("https://c.example/c")).get() == .sample)
        #expect(cache.count == 2)
    }

    @Test func anOutcomeWithoutLifetimeIsNotKept() async {
        let cache = ClientMetadataCache(capacity: 8, now: { .now })
        let origin = Origin(lifetime: .zero)
        _ = await cache.outcome(for: "https://a.example/c", fetch: origin.fetch("https://a.example/c"))
        _ = await cache.outcome(for: "https://a.example/c", fetch: origin.fetch("https://a.example/c"))
        #expect(origin.count("https://a.example/c") == 2)
        #expect(cache.count == 0)
    }
}

extension ClientMetadataDocument {
    static let sample = try! ClientMetadataDocument(
        ["client_id": "https://a.example/c", "client_name": "A", "redirect_uris": ["https://a.example/cb"]],
        fetchedFrom: "https://a.example/c")
}
