import App
import Cryptography
import Foundation
import JSON
import OrderDesk
import Postgres
import TestSupport
import Testing

/// `CallSnapshots.open` (`orderdesk.open_call`): the session, the stores and the first cache entry of
/// a tool call in one statement, read as the tenant under row-level security.
@Suite(.serialized) struct CallSnapshotTests {
    @Test func readsTheSessionItsActiveStoreAndTheCacheEntryOfThatStoreOnly() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let first = try await insertStore(tenant.tenantID, storeID: "1001", in: fixture)
            let second = try await insertStore(tenant.tenantID, storeID: "1002", in: fixture)
            let sessions = SessionStore(database: fixture.database)
            let session = try await sessions.create(tenantID: tenant.tenantID, protocolVersion: "2025-11-25", clientInfo: [:])
            _ = try await sessions.setActiveStore(id: session.id, tenantID: tenant.tenantID, storeID: first)
            try await putCacheEntry(tenant.tenantID, store: first, key: "order:7", value: ["id": "7"], in: fixture)
            try await putCacheEntry(tenant.tenantID, store: second, key: "order:7", value: ["id": "7b"], in: fixture)
            let probe = CacheProbe.order("7", includeHistory: false)
            let snapshots = CallSnapshots(database: fixture.database, sessions: sessions)

            let snapshot = try await snapshots.open(
                tenantID: tenant.tenantID, sessionID: session.id, allStores: true, storeReference: nil, probe: probe)
            let read = try #require(snapshot.session(id: session.id))
            #expect(read.tenantID == tenant.tenantID && read.protocolVersion == "2025-11-25")
            #expect(read.activeStore?.id == first && read.activeStore?.storeID == "1001")
            #expect(snapshot.allStores?.map(\.storeID) == ["1001", "1002"])
            // Only the store the call will use was probed: the active one.
            #expect(snapshot.cachedValue(storeID: first, probe: probe) == ["id": "7"])
            #expect(snapshot.probed(storeID: second, probe: probe) == false)
            // Another entry than the one probed is not answered from the snapshot.
            #expect(snapshot.probed(storeID: first, probe: .order("7", includeHistory: true)) == false)

            // Only the session asked for: the active store alone, nothing probed.
            let plain = try await snapshots.open(
                tenantID: tenant.tenantID, sessionID: session.id, allStores: false, storeReference: nil, probe: nil)
            #expect(plain.allStores == nil)
            #expect(plain.session(id: session.id)?.activeStore?.id == first)
            #expect(plain.probed(storeID: first, probe: probe) == false)
        }
    }

    @Test func aStoreArgumentIsRankedLikeTheRegistryAndOnlyItsEntryIsProbed() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let first = try await insertStore(tenant.tenantID, storeID: "1001", in: fixture)
            let second = try await insertStore(tenant.tenantID, storeID: "1002", in: fixture)
            try await putCacheEntry(tenant.tenantID, store: second, key: "order:9", value: ["id": "9"], in: fixture)
            let sessions = SessionStore(database: fixture.database)
            let snapshots = CallSnapshots(database: fixture.database, sessions: sessions)
            // resolve reads only the database: the client and keyring are never used.
            let client = StoreKeyRotationTests.client(baseURL: "http://127.0.0.1:9")
            defer { Task { await client.shutdown() } }
            let registry = StoreRegistry(
                database: fixture.database, keyring: try EncryptionKeyring(keys: [1: SecureRandom.bytes(32)], current: 1),
                orderDesk: client)
            let probe = CacheProbe.order("9", includeHistory: false)

            for reference in [" 1002 ", "store 1002", second.uuidString.uppercased(), "nothing"] {
                let snapshot = try await snapshots.open(
                    tenantID: tenant.tenantID, sessionID: nil, allStores: true, storeReference: reference, probe: probe)
                #expect(snapshot.session(id: "x") == nil)
                let resolution = try #require(snapshot.resolution(of: reference))
                let expected = try await registry.resolve(tenantID: tenant.tenantID, identifier: reference)
                #expect(resolution.match?.store == expected?.store && resolution.match?.matchedBy == expected?.matchedBy)
                #expect(snapshot.probed(storeID: first, probe: probe) == false)
                if reference == "nothing" {
                    #expect(resolution.match == nil && snapshot.probed(storeID: second, probe: probe) == false)
                } else {
                    #expect(snapshot.cachedValue(storeID: second, probe: probe) == ["id": "9"])
                }
                // A different identifier was not ranked: the caller must ask the registry.
                #expect(snapshot.resolution(of: "1001") == nil)
            }
            // No argument, no session: every store is a candidate (the tool may pick the only one).
            let open = try await snapshots.open(
                tenantID: tenant.tenantID, sessionID: nil, allStores: true, storeReference: nil, probe: probe)
            #expect(open.probed(storeID: first, probe: probe) && open.cachedValue(storeID: first, probe: probe) == nil)
            #expect(open.cachedValue(storeID: second, probe: probe) == ["id": "9"])
        }
    }

    @Test func anotherTenantsSessionStoresAndEntriesAreInvisible() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.createTenant("Alpha")
            let beta = try await fixture.createTenant("Beta")
            let alphaStore = try await insertStore(alpha.tenantID, storeID: "1001", in: fixture)
            try await putCacheEntry(alpha.tenantID, store: alphaStore, key: "order:1", value: ["secret": true], in: fixture)
            let sessions = SessionStore(database: fixture.database)
            let alphaSession = try await sessions.create(tenantID: alpha.tenantID, protocolVersion: "2025-11-25", clientInfo: [:])
            _ = try await sessions.setActiveStore(id: alphaSession.id, tenantID: alpha.tenantID, storeID: alphaStore)
            let snapshots = CallSnapshots(database: fixture.database, sessions: sessions)

            // Beta presenting Alpha's session id and Alpha's store uuid sees none of them.
            let snapshot = try await snapshots.open(
                tenantID: beta.tenantID, sessionID: alphaSession.id, allStores: true,
                storeReference: alphaStore.uuidString, probe: .order("1", includeHistory: false))
            #expect(snapshot.session(id: alphaSession.id) == nil)
            #expect(snapshot.allStores == [])
            #expect(snapshot.resolution(of: alphaStore.uuidString)?.match == nil)
            #expect(snapshot.probed(storeID: alphaStore, probe: .order("1", includeHistory: false)) == false)

            // An unbound session is not found as anyone's either (SessionStore.find binds it later).
            let unbound = try await sessions.create(tenantID: nil, protocolVersion: "2025-11-25", clientInfo: [:])
            let none = try await snapshots.open(
                tenantID: alpha.tenantID, sessionID: unbound.id, allStores: false, storeReference: nil, probe: nil)
            #expect(none.session(id: unbound.id) == nil)

            // A disabled tenant's session is over.
            _ = try await fixture.keys.disableTenant(tenantID: alpha.tenantID)
            let disabled = try await snapshots.open(
                tenantID: alpha.tenantID, sessionID: alphaSession.id, allStores: false, storeReference: nil, probe: nil)
            #expect(disabled.session(id: alphaSession.id) == nil)
        }
    }

    @Test func theTenantSettingEndsWithTheStatementAndAStaleSessionIsTouched() async throws {
        try await AppFixture.run(poolSize: 1) { fixture in
            let tenant = try await fixture.createTenant()
            let sessions = SessionStore(database: fixture.database)
            let session = try await sessions.create(tenantID: tenant.tenantID, protocolVersion: "2025-11-25", clientInfo: [:])
            _ = try await fixture.asSuperuser { tx in
                try tx.execute(
                    """
                    UPDATE orderdesk.sessions SET last_seen_at = now() - interval '2 hours',
                        expires_at = now() + interval '1 minute'
                    """)
            }
            let snapshots = CallSnapshots(database: fixture.database, sessions: sessions)
            _ = try await snapshots.open(
                tenantID: tenant.tenantID, sessionID: session.id, allStores: false, storeReference: nil, probe: nil)
            // One connection: the next statement runs where open_call ran, and sees no tenant.
            let leftover = try await fixture.database.standalone(
                "SELECT coalesce(current_setting('app.tenant_id', true), '') AS tenant"
            ).rows[0].decode(String.self, "tenant")
            #expect(leftover == "")
            let pushed = try await fixture.asSuperuser { tx in
                try tx.query(
                    "SELECT expires_at > now() + interval '1 hour' AS pushed, last_seen_at > now() - interval '1 minute' AS seen FROM orderdesk.sessions"
                )[0]
            }
            #expect(try pushed.decode(Bool.self, "pushed") && pushed.decode(Bool.self, "seen"))
        }
    }

    /// A limiter whose decisions take 1 + 5 ahead (burst 100) and barely refill (1 a minute), and the
    /// openings that carry its charges.
    static func rateLimited(_ fixture: AppFixture) -> (TenantRateLimiter, CallSnapshots) {
        (
            TenantRateLimiter(
                database: fixture.database, configuration: RateLimitConfiguration(perMinute: 1, burst: 100)),
            CallSnapshots(database: fixture.database, sessions: SessionStore(database: fixture.database))
        )
    }

    /// A rate decision that is due rides along with the opening (same transaction, run as the tenant
    /// open_call set); `consume` then pays from the allowance it left, and a decision that is not due
    /// changes nothing.
    @Test func aDueRateDecisionRidesAlongWithTheOpeningAndConsumePaysFromIt() async throws {
        try await AppFixture.run(poolSize: 1) { fixture in
            let tenant = try await fixture.createTenant()
            let other = try await fixture.createTenant()
            let (limiter, snapshots) = Self.rateLimited(fixture)
            func open(_ scope: KeyScope?) async throws {
                _ = try await snapshots.open(
                    tenantID: tenant.tenantID, sessionID: nil, allStores: false, storeReference: nil, probe: nil,
                    rate: scope.map { limiter.openingRate(tenantID: tenant.tenantID, scope: $0) })
            }
            func stored(_ tenantID: UUID) async throws -> Double? {
                try await fixture.database.withTenantTransaction(tenantID) { tx in
                    try tx.query("SELECT tokens FROM orderdesk.rate_limit_buckets WHERE bucket = 'tenant'").first?
                        .decode(Double.self, "tokens")
                }
            }
            try await open(nil)
            #expect(try await stored(tenant.tenantID) == nil)
            try await open(.read)
            #expect(try await stored(tenant.tenantID).map { abs($0 - 94) < 0.1 } == true)
            // Not due while the allowance covers a call: the bucket is not touched again.
            try await open(.read)
            #expect(try await stored(tenant.tenantID).map { abs($0 - 94) < 0.1 } == true)
            // The 6 tokens taken pay 6 calls without the database; the 7th decides again (1 + 5).
            for _ in 0..<6 {
                #expect(try await limiter.consume(tenantID: tenant.tenantID, cost: 1) == .allowed(remaining: 94))
            }
            #expect(try await stored(tenant.tenantID).map { abs($0 - 94) < 0.1 } == true)
            _ = try await limiter.consume(tenantID: tenant.tenantID, cost: 1)
            #expect(try await stored(tenant.tenantID).map { abs($0 - 88) < 0.1 } == true)
            // Another tenant's bucket was never touched, and no tenant setting outlives the opening.
            #expect(try await stored(other.tenantID) == nil)
            let leftover = try await fixture.database.standalone(
                "SELECT coalesce(current_setting('app.tenant_id', true), '') AS tenant"
            ).rows[0].decode(String.self, "tenant")
            #expect(leftover == "")
        }
    }

    /// An opening the allowance covers reserves its call's cost, so the opening after the last covered
    /// one is charged itself (its decision rides along) instead of its call finding the tokens spent
    /// by the others and asking the database alone.
    @Test func openingsReserveTheirCostSoTheFirstUncoveredOneIsCharged() async throws {
        try await AppFixture.run(poolSize: 1) { fixture in
            let tenant = try await fixture.createTenant()
            let (limiter, snapshots) = Self.rateLimited(fixture)
            func openCharged() async throws {
                let rate = limiter.openingRate(tenantID: tenant.tenantID, scope: .read)
                try #require(rate.charge != nil)
                _ = try await snapshots.open(
                    tenantID: tenant.tenantID, sessionID: nil, allStores: false, storeReference: nil, probe: nil,
                    rate: rate)
            }
            func stored() async throws -> Double {
                try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                    try tx.query("SELECT tokens FROM orderdesk.rate_limit_buckets WHERE bucket = 'tenant'")[0]
                        .decode(Double.self, "tokens")
                }
            }
            try await openCharged()
            #expect(abs(try await stored() - 94) < 0.1)
            // Six tokens: the charged call's and five more openings' (a write costs two: two of them).
            for scope in [KeyScope.read, .read, .read, .write] {
                #expect(limiter.openingRate(tenantID: tenant.tenantID, scope: scope).charge == nil)
            }
            // All six promised: the next opening is charged, although no call has spent a token yet.
            try await openCharged()
            #expect(abs(try await stored() - 88) < 0.1)
            // The twelve tokens pay the six calls (one write) without another decision.
            for cost in [1.0, 1, 1, 2, 1, 1] {
                guard case .allowed = try await limiter.consume(tenantID: tenant.tenantID, cost: cost) else {
                    Issue.record("a call that opened on the allowance was refused")
                    return
                }
            }
            #expect(abs(try await stored() - 88) < 0.1)
        }
    }

    /// A call that stops before `consume` (its session is gone, its opening failed) gives back what was
    /// promised to it, so that later openings are not charged for calls that never ran.
    @Test func aCallThatStopsBeforeConsumeReleasesWhatWasPromisedToIt() async throws {
        try await AppFixture.run(poolSize: 1) { fixture in
            let tenant = try await fixture.createTenant()
            let (limiter, snapshots) = Self.rateLimited(fixture)
            let first = limiter.openingRate(tenantID: tenant.tenantID, scope: .read)
            try #require(first.charge != nil)
            _ = try await snapshots.open(
                tenantID: tenant.tenantID, sessionID: nil, allStores: false, storeReference: nil, probe: nil,
                rate: first)
            // Five openings take the other five tokens; two of them and the charged call stop early.
            let promised = (0..<5).map { _ in limiter.openingRate(tenantID: tenant.tenantID, scope: .read) }
            #expect(promised.allSatisfy { $0.charge == nil })
            // All six promised: the next opening is charged; its opening fails (it takes nothing).
            try #require(limiter.openingRate(tenantID: tenant.tenantID, scope: .read).charge).settle(
                rows: nil, forTheCall: false)
            first.release()
            first.release()  // a charge gives back its call's cost once
            promised[0].release()
            promised[1].release()
            // Three tokens are free again: three openings are covered, the fourth is charged.
            for _ in 0..<3 { #expect(limiter.openingRate(tenantID: tenant.tenantID, scope: .read).charge == nil) }
            let fourth = limiter.openingRate(tenantID: tenant.tenantID, scope: .read).charge
            #expect(fourth != nil)
            fourth?.settle(rows: nil, forTheCall: false)
        }
    }

    /// An opening whose bucket is short takes nothing and leaves nothing: `consume` asks the database
    /// itself and is refused.
    @Test func aShortBucketAtTheOpeningLeavesTheCallToConsume() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            // Burst 1, nothing ahead of need.
            let limiter = TenantRateLimiter(
                database: fixture.database, configuration: RateLimitConfiguration(perMinute: 1, burst: 1))
            let snapshots = CallSnapshots(database: fixture.database, sessions: SessionStore(database: fixture.database))
            for expected in [true, false] {
                let rate = limiter.openingRate(tenantID: tenant.tenantID, scope: .read)
                try #require(rate.charge != nil)
                _ = try await snapshots.open(
                    tenantID: tenant.tenantID, sessionID: nil, allStores: false, storeReference: nil, probe: nil,
                    rate: rate)
                let decision = try await limiter.consume(tenantID: tenant.tenantID, cost: 1)
                if case .allowed = decision { #expect(expected) } else { #expect(!expected) }
            }
            // Refused a moment ago: the next calls take the plain path (no ride-along) for a second.
            #expect(limiter.openingRate(tenantID: tenant.tenantID, scope: .read).charge == nil)
        }
    }

    /// An opening that fails still ends its charge: calls of the tenant waiting for that decision go
    /// on and decide themselves, and a later opening may charge again.
    @Test func aChargeWhoseOpeningFailedReleasesTheCallsWaitingForIt() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let limiter = TenantRateLimiter(
                database: fixture.database, configuration: RateLimitConfiguration(perMinute: 1, burst: 100))
            let charge = try #require(limiter.openingRate(tenantID: tenant.tenantID, scope: .read).charge)
            // A decision is in flight: no second charge for the tenant meanwhile.
            #expect(limiter.openingRate(tenantID: tenant.tenantID, scope: .read).charge == nil)
            let waiting = Task { try await limiter.consume(tenantID: tenant.tenantID, cost: 1) }
            charge.settle(rows: nil, forTheCall: false)
            charge.settle(rows: nil, forTheCall: false)  // a second settle changes nothing
            #expect(try await waiting.value == .allowed(remaining: 94))
            // The waiting call decided itself (1 + 5 taken); the failed charge took nothing.
            let stored = try await fixture.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.query("SELECT tokens FROM orderdesk.rate_limit_buckets WHERE bucket = 'tenant'")[0]
                    .decode(Double.self, "tokens")
            }
            #expect(abs(stored - 94) < 0.1)
        }
    }
}

extension CallSnapshot {
    fileprivate func probed(storeID: UUID, probe: CacheProbe) -> Bool {
        cacheLookup(storeID: storeID, probe: probe) != nil
    }

    fileprivate func cachedValue(storeID: UUID, probe: CacheProbe) -> JSONValue? {
        if case .some(.some(let value)) = cacheLookup(storeID: storeID, probe: probe) { return value }
        return nil
    }
}

/// A live cache entry in scope `order`, written as the app role.
private func putCacheEntry(_ tenantID: UUID, store: UUID, key: String, value: JSONValue, in fixture: AppFixture)
    async throws
{
    try await fixture.database.withTenantTransaction(tenantID) { tx in
        try tx.execute(
            """
            INSERT INTO orderdesk.cache_entries (tenant_id, store_id, scope, key, value, expires_at)
            VALUES (\(tenantID), \(store), 'order', \(key), \(value), now() + interval '1 hour')
            """)
    }
}
