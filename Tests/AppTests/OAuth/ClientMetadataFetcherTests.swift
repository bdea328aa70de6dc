import Foundation
import TestSupport
import Testing

@testable import App

/// The fetcher against a real HTTPS server on 127.0.0.1 (`ClientMetadataHost`), with libcurl doing
/// real DNS, TCP and TLS. Every refusal is checked both by its error code and by the server's log
/// (whether a connection or a request ever reached it).
@Suite(.serialized) struct ClientMetadataFetcherTests {
    private func configuration(
        host: ClientMetadataHost, allowLoopback: Bool = true, trustHost: Bool = true,
        change: (inout ClientMetadataFetchConfiguration) -> Void = { _ in }
    ) throws -> ClientMetadataFetchConfiguration {
        var configuration = ClientMetadataFetchConfiguration()
        if allowLoopback { try configuration.allow("127.0.0.1/32") }
        if trustHost { configuration.caFile = host.caFile }
        change(&configuration)
        return configuration
    }

    private func failure(
        _ fetcher: ClientMetadataFetcher, _ url: String
    ) async -> ClientMetadataError? {
        await caught(ClientMetadataError.self) { try await fetcher.document(for: url) }
    }

    @Test func aGoodDocumentIsFetchedAndValidated() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host))
        let document = try await fetcher.document(for: host.url("/client.json"))
        #expect(document.clientID == host.url("/client.json"))
        #expect(document.clientName == "CIMD Test Client")
        #expect(document.redirectURIs == ["http://127.0.0.1:33333/callback"])
        #expect(document.allowsRedirect(to: "http://127.0.0.1:33333/callback"))
        #expect(!document.allowsRedirect(to: "http://127.0.0.1:33333/callback/"))
        #expect(try host.log() == ["connect", "GET /client.json"])
        await fetcher.shutdown()
    }

    @Test func aDocumentIsReusedUntilItsLifetimeEnds() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let clock = ManualClock()
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host), now: clock.now)
        _ = try await fetcher.document(for: host.url("/client.json"))
        clock.advance(by: .seconds(299))
        _ = try await fetcher.document(for: host.url("/client.json"))
        #expect(try host.log().filter { $0.hasPrefix("GET") }.count == 1)
        clock.advance(by: .seconds(2))
        _ = try await fetcher.document(for: host.url("/client.json"))
        #expect(try host.log().filter { $0.hasPrefix("GET") }.count == 2)
        await fetcher.shutdown()
    }

    @Test func aNoStoreDocumentIsFetchedEveryTime() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host))
        _ = try await fetcher.document(for: host.url("/no-store.json"))
        _ = try await fetcher.document(for: host.url("/no-store.json"))
        #expect(try host.log().filter { $0 == "GET /no-store.json" }.count == 2)
        await fetcher.shutdown()
    }

    @Test func concurrentRequestsForOneClientShareOneFetch() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host))
        let url = host.url("/slow.json?seconds=0.5")
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<5 { group.addTask { try await fetcher.document(for: url).clientName } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(names == Array(repeating: "CIMD Test Client", count: 5))
        #expect(try host.log().filter { $0.hasPrefix("GET") } == ["GET /slow.json"])
        await fetcher.shutdown()
    }

    @Test(arguments: ["/huge.json", "/huge-stream.json"])
    func aDocumentOverTheSizeLimitIsTooLarge(path: String) async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host))
        #expect(await failure(fetcher, host.url(path))?.code == .tooLarge)
        await fetcher.shutdown()
    }

    @Test func aSlowServerTimesOutWithinTheLimit() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(
            configuration: try configuration(host: host) { $0.timeout = .milliseconds(600) })
        let started = ContinuousClock.now
        #expect(await failure(fetcher, host.url("/slow.json?seconds=5"))?.code == .timeout)
        #expect(ContinuousClock.now - started < .seconds(3))
        await fetcher.shutdown()
    }

    @Test func aRedirectIsRefusedAndNotFollowed() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host))
        let error = await failure(fetcher, host.url("/redirect.json"))
        #expect(error?.code == .redirect)
        #expect(error?.status == 302)
        #expect(try host.log().filter { $0.hasPrefix("GET") } == ["GET /redirect.json"])
        await fetcher.shutdown()
    }

    @Test func answersThatAreNotAGoodDocumentAreRefusedWithTheirCode() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host))
        #expect(await failure(fetcher, host.url("/wrong-type.json"))?.code == .badContentType)
        #expect(await failure(fetcher, host.url("/mismatch.json"))?.code == .clientIDMismatch)
        let invalid = await failure(fetcher, host.url("/invalid.json"))
        #expect(invalid?.code == .invalidDocument)
        #expect(invalid?.field == "document")
        let badName = await failure(fetcher, host.url("/bad-name.json"))
        #expect(badName?.code == .invalidDocument)
        #expect(badName?.field == "client_name")
        let missing = await failure(fetcher, host.url("/missing.json"))
        #expect(missing?.code == .badStatus)
        #expect(missing?.status == 404)
        await fetcher.shutdown()
    }

    @Test func aFailureIsRememberedOnlyBriefly() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let clock = ManualClock()
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host), now: clock.now)
        #expect(await failure(fetcher, host.url("/invalid.json"))?.code == .invalidDocument)
        #expect(await failure(fetcher, host.url("/invalid.json"))?.code == .invalidDocument)
        #expect(try host.log().filter { $0.hasPrefix("GET") }.count == 1)
        clock.advance(by: .seconds(11))
        #expect(await failure(fetcher, host.url("/invalid.json"))?.code == .invalidDocument)
        #expect(try host.log().filter { $0.hasPrefix("GET") }.count == 2)
        await fetcher.shutdown()
    }

    @Test func loopbackOutsideTheAllowListIsRefusedBeforeAnyConnection() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host, allowLoopback: false))
        #expect(await failure(fetcher, host.url("/client.json"))?.code == .privateAddress)
        // A name is checked by the address it resolves to, not by how it is spelled.
        let port = host.base.split(separator: ":").last.map(String.init) ?? ""
        #expect(await failure(fetcher, "https://localhost:\(port)/client.json")?.code == .privateAddress)
        #expect(try host.log().isEmpty)
        await fetcher.shutdown()
    }

    @Test func anAllowListForAnotherNetworkStillRefusesLoopback() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(
            configuration: try configuration(host: host, allowLoopback: false) { try? $0.allow("10.0.0.0/8") })
        #expect(await failure(fetcher, host.url("/client.json"))?.code == .privateAddress)
        #expect(try host.log().isEmpty)
        await fetcher.shutdown()
    }

    @Test func plainHTTPIsRefusedWithoutAConnection() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host))
        let plain = "http://" + host.base.dropFirst("https://".count) + "/client.json"
        #expect(await failure(fetcher, plain)?.code == .notHTTPS)
        #expect(try host.log().isEmpty)
        await fetcher.shutdown()
    }

    @Test func anUntrustedCertificateIsUnreachable() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host, trustHost: false))
        #expect(await failure(fetcher, host.url("/client.json"))?.code == .unreachable)
        // The TCP connection was made, but the handshake failed before any request.
        #expect(try host.log() == ["connect"])
        await fetcher.shutdown()
    }

    @Test func aShutDownFetcherIsUnavailable() async throws {
        let host = try await ClientMetadataHost.launch()
        defer { host.stop() }
        let fetcher = ClientMetadataFetcher(configuration: try configuration(host: host))
        await fetcher.shutdown()
        #expect(await failure(fetcher, host.url("/client.json"))?.code == .unavailable)
        #expect(try host.log().isEmpty)
    }
}
