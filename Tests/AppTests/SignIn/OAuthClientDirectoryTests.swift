import App
import Foundation
import Postgres
import TestSupport
import Testing

/// Resolving a `client_id`: DCR rows in a real PostgreSQL, metadata documents from a real HTTPS host.
@Suite(.serialized) struct OAuthClientDirectoryTests {
    static let registered = "odc_AbCdEfGhIjKlMnOpQrStUv"

    private func failure(_ directory: OAuthClientDirectory, _ clientID: String) async -> OAuthClientLookupError? {
        do {
            _ = try await directory.resolve(clientID)
            return nil
        } catch {
            return error
        }
    }

    @Test func aRegisteredClientResolvesAndOthersAreUnknown() async throws {
        try await AppFixture.run { fixture in
            try await fixture.database.withUnscopedTransaction { tx in
                try tx.execute(
                    """
                    INSERT INTO orderdesk.oauth_clients (client_id, client_name, redirect_uris)
                    VALUES (\(Self.registered), 'Old Client', \(PostgresTextArray(["http://127.0.0.1:5000/cb", "https://app.example/cb"])))
                    """)
            }
            let directory = OAuthClientDirectory(database: fixture.database, fetcher: nil)
            let client = try await directory.resolve(Self.registered)
            #expect(client.clientID == Self.registered)
            #expect(client.name == "Old Client")
            #expect(client.redirectURIs == ["http://127.0.0.1:5000/cb", "https://app.example/cb"])
            #expect(!client.isMetadataDocument)
            #expect(client.allowsRedirect(to: "https://app.example/cb"))
            #expect(!client.allowsRedirect(to: "https://app.example/cb/"))

            for unknown in ["odc_ZZZZZZZZZZZZZZZZZZZZZZ", "odc_short", "", "client", "odc_" + String(repeating: "A", count: 44)] {
                #expect(await failure(directory, unknown) == .unknownClient, "\(unknown)")
            }
            #expect(await failure(directory, "https://client.example/cimd.json") == .metadataDocumentsDisabled)
        }
    }

    @Test func aMetadataDocumentClientResolvesThroughTheFetcher() async throws {
        try await AppFixture.run { fixture in
            let host = try await ClientMetadataHost.launch()
            defer { host.stop() }
            var configuration = ClientMetadataFetchConfiguration()
            try configuration.allow("127.0.0.1/32")
            configuration.caFile = host.caFile
            let fetcher = ClientMetadataFetcher(configuration: configuration)
            let directory = OAuthClientDirectory(database: fixture.database, fetcher: fetcher)

            let client = try await directory.resolve(host.url("/client.json"))
            #expect(client.clientID == host.url("/client.json"))
            #expect(client.name == "CIMD Test Client")
            #expect(client.redirectURIs == ["http://127.0.0.1:33333/callback"])
            #expect(client.isMetadataDocument)

            #expect(
                await failure(directory, host.url("/mismatch.json")) == .metadata(ClientMetadataError(.clientIDMismatch)))
            #expect(
                await failure(directory, "https://127.0.0.1:1/x.json#frag") == .metadata(ClientMetadataError(.invalidURL)))
            #expect(try host.log() == ["connect", "GET /client.json", "connect", "GET /mismatch.json"])
            await fetcher.shutdown()
        }
    }
}
