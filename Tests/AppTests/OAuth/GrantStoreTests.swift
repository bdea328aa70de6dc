import App
import Cryptography
import Foundation
import Postgres
import TestSupport
import Testing

/// The OAuth grant, code and token store against a real PostgreSQL, as the app role.
@Suite(.serialized) struct GrantStoreTests {
    static let resource = "http://127.0.0.1:8080/mcp"
    static let redirect = "http://127.0.0.1:33418/callback"
    static let client = "odc_AbCdEfGhIjKlMnOpQrStUv"

    /// A tenant with a consented grant and a PKCE pair.
    struct Consent {
        let store: GrantStore
        let tenantID: UUID
        let grant: OAuthGrant
        let verifier: String
        var challenge: String { PKCE.s256Challenge(forVerifier: verifier) }

        func code(ttl: Duration = .seconds(60)) async throws -> String {
            try await store.issueCode(
                tenantID: tenantID, grantID: grant.id, redirectURI: GrantStoreTests.redirect, codeChallenge: challenge,
                ttl: ttl)
        }

        func exchange(_ code: String) async throws -> IssuedTokens {
            try await store.exchangeCode(
                code, clientID: GrantStoreTests.client, redirectURI: GrantStoreTests.redirect, codeVerifier: verifier,
                resource: GrantStoreTests.resource)
        }

        func tokens() async throws -> IssuedTokens { try await exchange(try await code()) }
    }

    static func consent(
        _ fixture: AppFixture, store: GrantStore? = nil, tenantID: UUID? = nil,
        scopes: Set<OAuthScope> = [.ordersRead], storeIDs: Set<String>? = nil
    ) async throws -> Consent {
        let store = store ?? GrantStore(database: fixture.database)
        let tenant: UUID
        if let tenantID { tenant = tenantID } else { tenant = try await fixture.createTenant().tenantID }
        // createGrant needs a member (a grant stops working once its member is removed).
        try await addMember(fixture, tenant, try MemberEmail("ann@example.com"))
        let grant = try await store.createGrant(
            tenantID: tenant, clientID: client, clientName: "Claude Desktop", memberEmail: try MemberEmail("Ann@Example.com"),
            scopes: scopes, storeIDs: storeIDs, resource: resource)
        return Consent(
            store: store, tenantID: tenant, grant: grant, verifier: Base64URL.encode(SecureRandom.bytes(48)))
    }

    static func addMember(_ fixture: AppFixture, _ tenant: UUID, _ email: MemberEmail) async throws {
        try await fixture.database.withTenantTransaction(tenant) { tx in
            try tx.execute(
                "INSERT INTO orderdesk.tenant_members (tenant_id, email) VALUES (\(tenant), \(email.address)) ON CONFLICT DO NOTHING"
            )
        }
    }

    static func refusal(_ body: () async throws -> some Any) async -> OAuthError? {
        do {
            _ = try await body()
            return nil
        } catch let error as OAuthError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func codeExchangeIssuesTokensThatVerifyAndRefreshRotatesTheRefreshToken() async throws {
        try await AppFixture.run { fixture in
            let consent = try await Self.consent(fixture, scopes: [.ordersRead, .ordersWrite], storeIDs: ["10001"])
            #expect(consent.grant.memberEmail == "ann@example.com")
            #expect(consent.grant.lastUsedAt == nil)
            let code = try await consent.code()
            #expect(code.hasPrefix("odac_") && code.utf8.count == 48)

            let first = try await consent.exchange(code)
            #expect(first.accessToken.hasPrefix("odat_") && first.refreshToken.hasPrefix("odrt_"))
            #expect(first.expiresIn == .seconds(600))
            #expect(first.scopes == [.ordersRead, .ordersWrite])
            #expect(OAuthScope.scopeString(first.scopes) == "orders:read orders:write")

            let verified = try #require(try await consent.store.verifyAccessToken(first.accessToken))
            #expect(verified.tenantID == consent.tenantID)
            #expect(verified.grantID == consent.grant.id)
            #expect(verified.scopes == [.ordersRead, .ordersWrite])
            #expect(verified.storeIDs == ["10001"])
            #expect(verified.resource == Self.resource)
            #expect(verified.expiresAt.timeIntervalSinceNow > 500 && verified.expiresAt.timeIntervalSinceNow <= 601)
            // A refresh token is not a Bearer credential.
            #expect(try await consent.store.verifyAccessToken(first.refreshToken) == nil)

            let second = try await consent.store.refresh(first.refreshToken, clientID: Self.client, resource: Self.resource)
            #expect(second.refreshToken != first.refreshToken)
            #expect(second.accessToken != first.accessToken)
            #expect(try await consent.store.verifyAccessToken(second.accessToken)?.grantID == consent.grant.id)
            // Only the refresh token rotates: the earlier access token lives until it expires.
            #expect(try await consent.store.verifyAccessToken(first.accessToken) != nil)
            // The new refresh token works in turn (resource may be left out).
            let third = try await consent.store.refresh(second.refreshToken, clientID: Self.client, resource: nil)
            #expect(try await consent.store.verifyAccessToken(third.accessToken) != nil)

            let listed = try await consent.store.listGrants(tenantID: consent.tenantID)
            #expect(listed.map(\.id) == [consent.grant.id])
            #expect(listed[0].lastUsedAt != nil)
            let parents = try await fixture.asSuperuser { tx in
                try tx.query(
                    """
                    SELECT count(*) FILTER (WHERE parent_hash IS NULL) AS roots, count(*) FILTER (WHERE used_at IS NOT NULL) AS used
                    FROM orderdesk.oauth_tokens
                    """
                ).map { [try $0.decode(Int.self, "roots"), try $0.decode(Int.self, "used")] }
            }
            #expect(parents == [[2, 2]])
        }
    }

    @Test func aReusedCodeIsRefusedAndRevokesTheTokensIssuedFromIt() async throws {
        try await AppFixture.run { fixture in
            let consent = try await Self.consent(fixture)
            let code = try await consent.code()
            let tokens = try await consent.exchange(code)
            #expect(try await consent.store.verifyAccessToken(tokens.accessToken) != nil)

            let error = await Self.refusal { try await consent.exchange(code) }
            #expect(error == OAuthError(.invalidGrant, .reused))
            #expect(try await consent.store.verifyAccessToken(tokens.accessToken) == nil)
            let refreshed = await Self.refusal {
                try await consent.store.refresh(tokens.refreshToken, clientID: Self.client, resource: nil)
            }
            #expect(refreshed == OAuthError(.invalidGrant, .revoked))
            #expect(try await consent.store.listGrants(tenantID: consent.tenantID) == [])
            #expect(try await consent.store.listGrants(tenantID: consent.tenantID, includeRevoked: true).count == 1)
        }
    }

    @Test(arguments: [
        ("verifier", OAuthError(.invalidGrant, .verifierMismatch)),
        ("short verifier", OAuthError(.invalidGrant, .verifierMismatch)),
        ("redirect", OAuthError(.invalidGrant, .redirectMismatch)),
        ("client", OAuthError(.invalidGrant, .clientMismatch)),
        ("resource", OAuthError(.invalidTarget, .resourceMismatch)),
    ])
    func aFailedExchangeBurnsTheCode(wrong: String, expected: OAuthError) async throws {
        try await AppFixture.run { fixture in
            let consent = try await Self.consent(fixture)
            let code = try await consent.code()
            let verifier =
                switch wrong {
                case "verifier": Base64URL.encode(SecureRandom.bytes(32))
                case "short verifier": String(consent.verifier.prefix(42))
                default: consent.verifier
                }
            let error = await Self.refusal {
                try await consent.store.exchangeCode(
                    code, clientID: wrong == "client" ? "odc_SomeoneElseEntirely0" : Self.client,
                    redirectURI: wrong == "redirect" ? Self.redirect + "/" : Self.redirect, codeVerifier: verifier,
                    resource: wrong == "resource" ? "http://127.0.0.1:9090/mcp" : Self.resource)
            }
            #expect(error == expected)
            // The right request now finds the code used: refused, and the grant is revoked.
            let retry = await Self.refusal { try await consent.exchange(code) }
            #expect(retry == OAuthError(.invalidGrant, .reused))
            #expect(try await consent.store.listGrants(tenantID: consent.tenantID) == [])
        }
    }

    @Test func expiredCodesUnknownCodesAndRevokedGrantsAreRefused() async throws {
        try await AppFixture.run { fixture in
            let consent = try await Self.consent(fixture)
            let code = try await consent.code(ttl: .milliseconds(200))
            try await Task.sleep(for: .milliseconds(400))
            #expect(await Self.refusal { try await consent.exchange(code) } == OAuthError(.invalidGrant, .expired))

            #expect(
                await Self.refusal { try await consent.exchange("odac_" + Base64URL.encode(SecureRandom.bytes(32))) }
                    == OAuthError(.invalidGrant, .unknown))
            #expect(await Self.refusal { try await consent.exchange("not-a-code") } == OAuthError(.invalidGrant, .unknown))

            // A code whose grant is revoked before the exchange.
            let pending = try await consent.code()
            #expect(try await consent.store.revokeGrant(tenantID: consent.tenantID, grantID: consent.grant.id))
            #expect(try await consent.store.revokeGrant(tenantID: consent.tenantID, grantID: consent.grant.id) == false)
            #expect(await Self.refusal { try await consent.exchange(pending) } == OAuthError(.invalidGrant, .revoked))
            // And no new code for it.
            #expect(await Self.refusal { try await consent.code() } == OAuthError(.invalidGrant, .revoked))
        }
    }

    @Test func expiredTokensNeitherVerifyNorRefresh() async throws {
        try await AppFixture.run { fixture in
            let store = GrantStore(
                database: fixture.database, accessTokenTTL: .milliseconds(300), refreshTokenTTL: .milliseconds(300))
            let consent = try await Self.consent(fixture, store: store)
            let tokens = try await consent.tokens()
            #expect(try await store.verifyAccessToken(tokens.accessToken) != nil)
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await store.verifyAccessToken(tokens.accessToken) == nil)
            #expect(
                await Self.refusal { try await store.refresh(tokens.refreshToken, clientID: Self.client, resource: nil) }
                    == OAuthError(.invalidGrant, .expired))
        }
    }

    @Test func aReusedRefreshTokenRevokesTheWholeGrant() async throws {
        try await AppFixture.run { fixture in
            let consent = try await Self.consent(fixture)
            let first = try await consent.tokens()
            // A client or resource mismatch is refused but does not use the token up.
            #expect(
                await Self.refusal {
                    try await consent.store.refresh(first.refreshToken, clientID: "odc_SomeoneElseEntirely0", resource: nil)
                } == OAuthError(.invalidGrant, .clientMismatch))
            #expect(
                await Self.refusal {
                    try await consent.store.refresh(first.refreshToken, clientID: Self.client, resource: "https://x/mcp")
                } == OAuthError(.invalidTarget, .resourceMismatch))
            let second = try await consent.store.refresh(first.refreshToken, clientID: Self.client, resource: nil)
            #expect(try await consent.store.verifyAccessToken(second.accessToken) != nil)

            let replay = await Self.refusal {
                try await consent.store.refresh(first.refreshToken, clientID: Self.client, resource: nil)
            }
            #expect(replay == OAuthError(.invalidGrant, .reused))
            #expect(try await consent.store.verifyAccessToken(second.accessToken) == nil)
            #expect(try await consent.store.verifyAccessToken(first.accessToken) == nil)
            #expect(
                await Self.refusal { try await consent.store.refresh(second.refreshToken, clientID: Self.client, resource: nil) }
                    == OAuthError(.invalidGrant, .revoked))
        }
    }

    @Test func concurrentRefreshesOfOneTokenLetExactlyOneWin() async throws {
        try await AppFixture.run(poolSize: 8) { fixture in
            let consent = try await Self.consent(fixture)
            let other = fixture.secondReplica()
            let stores = [consent.store, GrantStore(database: other)]
            for _ in 0..<3 {
                let tokens = try await Self.consent(fixture, store: consent.store, tenantID: consent.tenantID).tokens()
                let results = await withTaskGroup(of: Result<IssuedTokens, any Error>.self) { group in
                    for index in 0..<4 {
                        group.addTask {
                            do {
                                return .success(
                                    try await stores[index % 2].refresh(
                                        tokens.refreshToken, clientID: Self.client, resource: nil))
                            } catch {
                                return .failure(error)
                            }
                        }
                    }
                    var all: [Result<IssuedTokens, any Error>] = []
                    for await result in group { all.append(result) }
                    return all
                }
                let winners = results.compactMap { try? $0.get() }
                #expect(winners.count == 1)
                let losers = results.compactMap { result -> OAuthError? in
                    if case .failure(let error) = result { return error as? OAuthError }
                    return nil
                }
                #expect(losers.count == 3)
                #expect(losers.allSatisfy { $0.code == .invalidGrant })
                // The losers looked like a replay, so the grant is gone, the winner's tokens too.
                #expect(losers.contains(OAuthError(.invalidGrant, .reused)))
                #expect(try await consent.store.verifyAccessToken(winners[0].accessToken) == nil)
            }
            await other.shutdown()
        }
    }

    @Test func revocationFollowsRFC7009() async throws {
        try await AppFixture.run { fixture in
            let consent = try await Self.consent(fixture)
            let store = consent.store
            // Unknown, malformed and code strings are no error and change nothing.
            try await store.revoke(token: "odat_" + Base64URL.encode(SecureRandom.bytes(32)), clientID: nil)
            try await store.revoke(token: "garbage", clientID: Self.client)

            let one = try await consent.tokens()
            let two = try await consent.tokens()
            // Another client's revocation request is ignored.
            try await store.revoke(token: one.accessToken, clientID: "odc_SomeoneElseEntirely0")
            #expect(try await store.verifyAccessToken(one.accessToken) != nil)
            // An access token revokes itself only.
            try await store.revoke(token: one.accessToken, clientID: Self.client)
            #expect(try await store.verifyAccessToken(one.accessToken) == nil)
            #expect(try await store.verifyAccessToken(two.accessToken) != nil)
            let refreshed = try await store.refresh(one.refreshToken, clientID: Self.client, resource: nil)
            try await store.revoke(token: one.accessToken, clientID: nil)  // again: still no error

            // A refresh token revokes its grant: every token under it.
            try await store.revoke(token: refreshed.refreshToken, clientID: nil)
            for token in [refreshed.accessToken, two.accessToken] {
                #expect(try await store.verifyAccessToken(token) == nil)
            }
            #expect(
                await Self.refusal { try await store.refresh(two.refreshToken, clientID: Self.client, resource: nil) }
                    == OAuthError(.invalidGrant, .revoked))
        }
    }

    @Test func grantsAndTokensStayWithinTheirTenant() async throws {
        try await AppFixture.run { fixture in
            let a = try await Self.consent(fixture)
            let b = try await Self.consent(fixture, store: a.store)
            let aTokens = try await a.tokens()
            let bTokens = try await b.tokens()
            #expect(try await a.store.verifyAccessToken(aTokens.accessToken)?.tenantID == a.tenantID)
            #expect(try await a.store.verifyAccessToken(bTokens.accessToken)?.tenantID == b.tenantID)
            #expect(try await a.store.listGrants(tenantID: b.tenantID).map(\.id) == [b.grant.id])
            #expect(try await a.store.listGrants(tenantID: a.tenantID).map(\.id) == [a.grant.id])
            // Tenant B can neither revoke A's grant nor issue a code for it.
            #expect(try await a.store.revokeGrant(tenantID: b.tenantID, grantID: a.grant.id) == false)
            let foreign = await Self.refusal {
                try await a.store.issueCode(
                    tenantID: b.tenantID, grantID: a.grant.id, redirectURI: Self.redirect, codeChallenge: a.challenge)
            }
            #expect(foreign == OAuthError(.invalidGrant, .revoked))
            #expect(try await a.store.verifyAccessToken(aTokens.accessToken) != nil)
        }
    }

    @Test func aDisabledTenantsTokensStopWorking() async throws {
        try await AppFixture.run { fixture in
            let consent = try await Self.consent(fixture)
            let tokens = try await consent.tokens()
            let code = try await consent.code()
            #expect(try await fixture.keys.disableTenant(tenantID: consent.tenantID))
            #expect(try await consent.store.verifyAccessToken(tokens.accessToken) == nil)
            #expect(
                await Self.refusal { try await consent.store.refresh(tokens.refreshToken, clientID: Self.client, resource: nil) }
                    == OAuthError(.invalidGrant, .tenantDisabled))
            #expect(await Self.refusal { try await consent.exchange(code) } == OAuthError(.invalidGrant, .tenantDisabled))
            let grant = await Self.refusal {
                try await consent.store.createGrant(
                    tenantID: consent.tenantID, clientID: Self.client, clientName: "X", memberEmail: try MemberEmail("a@b.c"),
                    scopes: [.ordersRead], storeIDs: nil, resource: Self.resource)
            }
            #expect(grant == OAuthError(.invalidRequest, .tenantDisabled))
        }
    }

    @Test func theDatabaseHoldsOnlyHashes() async throws {
        try await AppFixture.run { fixture in
            let consent = try await Self.consent(fixture)
            let code = try await consent.code()
            let first = try await consent.exchange(code)
            let second = try await consent.store.refresh(first.refreshToken, clientID: Self.client, resource: nil)
            let pending = try await consent.code()
            let secrets = [code, pending, first.accessToken, first.refreshToken, second.accessToken, second.refreshToken]
            let found = try await fixture.asSuperuser { tx in
                var leaks: [String] = []
                for secret in secrets {
                    let body = String(secret.dropFirst(5))
                    for table in ["oauth_codes", "oauth_tokens", "oauth_grants", "audit_log"] {
                        let rows = try tx.query(
                            PostgresQuery(
                                unsafeSQL: "SELECT count(*) AS n FROM orderdesk.\(table) AS t WHERE strpos(t::text, $1) > 0",
                                binds: [body.postgresBind]))
                        if try rows[0].decode(Int.self, "n") > 0 { leaks.append(table) }
                    }
                }
                // Control: each secret is found by its SHA-256.
                var hashed = 0
                for secret in secrets {
                    let digest = SHA256.hash(Array(secret.utf8))
                    hashed += try tx.query(
                        """
                        SELECT (SELECT count(*) FROM orderdesk.oauth_codes WHERE code_hash = \(digest))
                             + (SELECT count(*) FROM orderdesk.oauth_tokens WHERE token_hash = \(digest)) AS n
                        """)[0].decode(Int.self, "n")
                }
                return (leaks, hashed)
            }
            #expect(found.0 == [])
            #expect(found.1 == secrets.count)
        }
    }

    @Test func malformedConsentsAndChallengesAreInvalidRequests() async throws {
        try await AppFixture.run { fixture in
            let store = GrantStore(database: fixture.database)
            let tenant = try await fixture.createTenant().tenantID
            let email = try MemberEmail("ann@example.com")
            try await Self.addMember(fixture, tenant, email)
            func create(scopes: Set<OAuthScope> = [.ordersRead], stores: Set<String>? = nil, name: String = "C") async
                -> OAuthError?
            {
                await Self.refusal {
                    try await store.createGrant(
                        tenantID: tenant, clientID: Self.client, clientName: name, memberEmail: email, scopes: scopes,
                        storeIDs: stores, resource: Self.resource)
                }
            }
            let malformed = OAuthError(.invalidRequest, .malformed)
            #expect(await create(scopes: []) == malformed)
            #expect(await create(stores: []) == malformed)
            #expect(await create(stores: ["12a"]) == malformed)  // the CHECK (is_store_id_list)
            #expect(await create(name: "") == malformed)
            #expect(await create(name: String(repeating: "n", count: 201)) == malformed)
            #expect(await create() == nil)  // control

            let grant = try await store.createGrant(
                tenantID: tenant, clientID: Self.client, clientName: "C", memberEmail: email, scopes: [.storesManage],
                storeIDs: nil, resource: Self.resource)
            for challenge in ["", "short", String(repeating: "a", count: 42) + "=", String(repeating: "a", count: 44)] {
                let error = await Self.refusal {
                    try await store.issueCode(
                        tenantID: tenant, grantID: grant.id, redirectURI: Self.redirect, codeChallenge: challenge)
                }
                #expect(error == malformed, "\(challenge)")
            }
            #expect(
                PKCE.s256Challenge(forVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
                    == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")  // RFC 7636 Appendix B
        }
    }

    @Test func sweepDeletesExpiredCodesAndTokens() async throws {
        try await AppFixture.run { fixture in
            let store = GrantStore(
                database: fixture.database, accessTokenTTL: .milliseconds(200), refreshTokenTTL: .seconds(600))
            let consent = try await Self.consent(fixture, store: store)
            _ = try await consent.code(ttl: .milliseconds(200))
            let live = try await consent.code()
            _ = try await consent.tokens()
            try await Task.sleep(for: .milliseconds(400))
            let deleted = try await fixture.database.withUnscopedTransaction { tx in
                try Dictionary(
                    uniqueKeysWithValues: tx.query("SELECT table_name, deleted FROM orderdesk.sweep_expired(100)").map {
                        (try $0.decode(String.self, "table_name"), try $0.decode(Int.self, "deleted"))
                    })
            }
            #expect(deleted["oauth_codes"] == 1)  // the expired code; `live` and the used one remain
            #expect(deleted["oauth_tokens"] == 1)  // the expired access token; the refresh token remains
            #expect(deleted["order_update_leases"] == 0)  // the older tables are still swept
            _ = try await consent.exchange(live)
        }
    }

    /// A grant works only while its member is a member of the tenant: tokens of a grant whose
    /// member is gone are unknown, even when nothing revoked the grant (a consent that committed
    /// while `remove-member` ran), and a consent by a non-member records nothing.
    @Test func aGrantStopsWithItsMembershipAndANonMemberCannotConsent() async throws {
        try await AppFixture.run { fixture in
            let consent = try await Self.consent(fixture)
            let tokens = try await consent.tokens()
            #expect(try await consent.store.verifyAccessToken(tokens.accessToken) != nil)  // control
            try await fixture.database.withTenantTransaction(consent.tenantID) { tx in
                try tx.execute("DELETE FROM orderdesk.tenant_members WHERE tenant_id = \(consent.tenantID)")
            }
            #expect(try await consent.store.verifyAccessToken(tokens.accessToken) == nil)
            #expect(
                await Self.refusal { try await consent.store.refresh(tokens.refreshToken, clientID: Self.client, resource: nil) }
                    == OAuthError(.invalidGrant, .unknown))
            let refused = await Self.refusal {
                try await consent.store.createGrant(
                    tenantID: consent.tenantID, clientID: Self.client, clientName: "X",
                    memberEmail: try MemberEmail("ann@example.com"), scopes: [.ordersRead], storeIDs: nil,
                    resource: Self.resource)
            }
            #expect(refused == OAuthError(.invalidRequest, .notMember))
            #expect(try await consent.store.listGrants(tenantID: consent.tenantID).count == 1)  // only the first
        }
    }
}
