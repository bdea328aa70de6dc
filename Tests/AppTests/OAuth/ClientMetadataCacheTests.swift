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
