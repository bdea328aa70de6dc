import App
import Foundation
import Postgres
import TestSupport
import Testing

/// Pending authorization requests (`orderdesk.oauth_requests`) against a real PostgreSQL, as the app role.
@Suite(.serialized) struct AuthorizationRequestStoreTests {
    static let request = AuthorizationRequest(
        clientID: "odc_AbCdEfGhIjKlMnOpQrStUv", clientName: "Claude Desktop",
        redirectURI: "http://127.0.0.1:33418/callback", state: "xyz-state",
        codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", scopes: ["orders:read", "orders:write"],
        resource: "http://127.0.0.1:8080/mcp")
    static let browser = AuthorizationRequestStore.newBrowser()

    @Test func aSavedRequestLoadsUntilItIsConsumedOnce() async throws {
        try await AppFixture.run { fixture in
            let store = AuthorizationRequestStore(database: fixture.database)
            let id = try await store.save(Self.request, browser: Self.browser)
            #expect(
                id.utf8.count == 43
                    && id.utf8.allSatisfy {
                        $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
                    })
            #expect(try await store.load(id, browser: Self.browser).request == Self.request)
            #expect(try await store.load(id, browser: Self.browser).request == Self.request)  // loading does not use it up

            var stateless = Self.request
            stateless.state = nil
            let other = try await store.save(stateless, browser: Self.browser)
            #expect(other != id)
            #expect(try await store.load(other, browser: Self.browser).request == stateless)

            #expect(try await store.consume(id, browser: Self.browser) == Self.request)
            #expect(try await store.consume(id, browser: Self.browser) == nil)
            #expect(try await store.load(id, browser: Self.browser).request == nil)
            #expect(try await store.load(other, browser: Self.browser).request == stateless)  // the other request is untouched
        }
    }

    @Test func aValueWithANULOrAControlCharacterIsRefusedBeforeTheDatabase() async throws {
        try await AppFixture.run { fixture in
            let store = AuthorizationRequestStore(database: fixture.database)
            var variants: [AuthorizationRequest] = []
            for state in ["a\u{0}b", "tab\t", "caf\u{E9}", String(repeating: "s", count: 1025), ""] {
                var request = Self.request
                request.state = state
                variants.append(request)
            }
            var redirect = Self.request
            redirect.redirectURI += "\u{0}"
            var client = Self.request
            client.clientID += "\u{0}"
            var name = Self.request
            name.clientName = "Claude\u{0}"
            variants += [redirect, client, name]
            for request in variants {
                await #expect(throws: AuthorizationRequestStore.Invalid.self) {
                    try await store.save(request, browser: Self.browser)
                }
            }
            var longest = Self.request
            longest.state = String(repeating: "~", count: 1024)
            let saved = try await store.save(longest, browser: Self.browser)
            #expect(try await store.load(saved, browser: Self.browser).request == longest)
        }
    }

    @Test func onlyTheBrowserThatStartedARequestCanLoadOrConsumeIt() async throws {
        try await AppFixture.run { fixture in
            let store = AuthorizationRequestStore(database: fixture.database)
            let id = try await store.save(Self.request, browser: Self.browser)
            let other = AuthorizationRequestStore.newBrowser()
            #expect(try await store.load(id, browser: Self.browser) == .found(Self.request))
            for browser in [other, nil, "", "not-a-browser-value"] {
                #expect(try await store.load(id, browser: browser) == .otherBrowser, "\(browser ?? "nil")")
            }
            #expect(try await store.consume(id, browser: other) == nil)
            let consumed = try await fixture.database.withUnscopedTransaction { tx in
                try store.consume(id, browser: other, in: tx)
            }
            #expect(consumed == nil)
            // Still there for its own browser, which consumes it once.
            #expect(try await store.consume(id, browser: Self.browser) == Self.request)
            #expect(try await store.load(id, browser: Self.browser) == AuthorizationRequestLookup.none)
            await #expect(throws: AuthorizationRequestStore.Invalid.self) {
                try await store.save(Self.request, browser: "short")
            }
            let hashed = try await fixture.asSuperuser { tx in
                try tx.query(
                    "SELECT count(*) AS n FROM orderdesk.oauth_requests WHERE browser_hash = sha256(convert_to(\(other), 'UTF8'))"
                )[0].decode(Int.self, "n")
            }
            #expect(hashed == 0)
            let mine = try await store.save(Self.request, browser: other)
            let stored = try await fixture.asSuperuser { tx in
                try tx.query(
                    "SELECT row_to_json(r)::text AS row, browser_hash = sha256(convert_to(\(other), 'UTF8')) AS hashed FROM orderdesk.oauth_requests AS r"
                ).map { (try $0.decode(String.self, "row"), try $0.decode(Bool.self, "hashed")) }
            }
            #expect(stored.count == 1 && stored[0].1 && !stored[0].0.contains(other) && !stored[0].0.contains(mine))
        }
    }

    @Test func twoConcurrentConsumersGetTheRequestOnce() async throws {
        try await AppFixture.run(poolSize: 8) { fixture in
            let store = AuthorizationRequestStore(database: fixture.database)
            let id = try await store.save(Self.request, browser: Self.browser)
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { try await store.consume(id, browser: Self.browser) != nil } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
        }
    }

    @Test func malformedUnknownAndExpiredIDsLoadNothing() async throws {
        try await AppFixture.run { fixture in
            let store = AuthorizationRequestStore(database: fixture.database, ttl: .milliseconds(300))
            let id = try await store.save(Self.request, browser: Self.browser)
            for bad in ["", "short", id + "A", String(id.dropLast()) + "!", String(repeating: "A", count: 43)] {
                #expect(try await store.load(bad, browser: Self.browser).request == nil, "\(bad)")
                #expect(try await store.consume(bad, browser: Self.browser) == nil, "\(bad)")
            }
            #expect(try await store.load(id, browser: Self.browser).request == Self.request)
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await store.load(id, browser: Self.browser).request == nil)
            #expect(try await store.consume(id, browser: Self.browser) == nil)

            // The sweeper removes it (it is already gone: consume deleted it, expired or not).
            _ = try await store.save(Self.request, browser: Self.browser)
            try await Task.sleep(for: .milliseconds(500))
            let deleted = try await fixture.database.withUnscopedTransaction { tx in
                try Dictionary(
                    uniqueKeysWithValues: tx.query("SELECT table_name, deleted FROM orderdesk.sweep_expired(100)").map {
                        (try $0.decode(String.self, "table_name"), try $0.decode(Int.self, "deleted"))
                    })
            }
            #expect(deleted["oauth_requests"] == 1)
            #expect(deleted["oauth_tokens"] == 0)  // the older tables are still swept
        }
    }

    @Test func onlyTheIDsHashIsStored() async throws {
        try await AppFixture.run { fixture in
            let store = AuthorizationRequestStore(database: fixture.database)
            let id = try await store.save(Self.request, browser: Self.browser)
            let rows = try await fixture.asSuperuser { tx in
                try tx.query(
                    """
                    SELECT row_to_json(r)::text AS row, id_hash = sha256(convert_to(\(id), 'UTF8')) AS hashed
                    FROM orderdesk.oauth_requests AS r
                    """
                ).map { (try $0.decode(String.self, "row"), try $0.decode(Bool.self, "hashed")) }
            }
            #expect(rows.count == 1)
            #expect(rows.allSatisfy { !$0.0.contains(id) && $0.1 })
        }
    }

    @Test func valuesOutsideTheStoredLimitsAreRefusedBeforeAnyWrite() async throws {
        try await AppFixture.run { fixture in
            let store = AuthorizationRequestStore(database: fixture.database)
            var noScope = Self.request
            noScope.scopes = []
            var unknownScope = Self.request
            unknownScope.scopes = ["orders:read", "admin"]
            var badChallenge = Self.request
            badChallenge.codeChallenge = "plain"
            var longState = Self.request
            longState.state = String(repeating: "s", count: 2049)
            var noName = Self.request
            noName.clientName = ""
            for request in [noScope, unknownScope, badChallenge, longState, noName] {
                let error = await caught(AuthorizationRequestStore.Invalid.self) {
                    try await store.save(request, browser: Self.browser)
                }
                #expect(error != nil)
            }
            let count = try await fixture.asSuperuser { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.oauth_requests")[0].decode(Int.self, "n")
            }
            #expect(count == 0)
        }
    }
}
