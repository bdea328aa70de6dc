import Cryptography
import Foundation
import Postgres
import TestSupport
import Testing

@testable import App

/// Key memory (`AUTH_KEY_MEMORY_SECONDS`): after the trust period a remembered key is re-checked by
/// its lookup alone, and argon2 runs again only when the stored hash changed or the memory ran out.
/// `verificationCount` counts argon2 runs; `keyCacheCounts` is what `odmcp_key_cache_total` counts.
@Suite(.serialized) struct KeyMemoryTests {
    static let ttl = Duration.seconds(60)
    static let memory = Duration.seconds(3_600)

    /// Sets `column` of the key row whose id is `keyID` to `value` cast to `type` (as the superuser:
    /// the app may not change these columns).
    static func updateKey(_ fixture: AppFixture, _ keyID: UUID, _ column: String, to value: String, as type: String)
        async throws
    {
        let updated = try await fixture.asSuperuser { tx in
            try tx.query(
                """
                UPDATE orderdesk.master_key_metadata SET \(unsafeSQL: column) = \(value)::\(unsafeSQL: type)
                WHERE id = \(keyID) RETURNING id
                """)
        }
        #expect(updated.count == 1)
    }

    @Test func firstUseVerifiesThenHitsWithinTheTTLThenRevalidatesWithoutArgon2() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let clock = ManualClock()
            let authenticator = fixture.authenticator(cacheTTL: Self.ttl, keyMemory: Self.memory, now: clock.now)
            let first = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            #expect(authenticator.verificationCount == 1)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(verified: 1))
            let lastUsed = try await fixture.keys.listKeys(tenantID: tenant.tenantID).first?.lastUsedAt

            clock.advance(by: Self.ttl - .milliseconds(1))
            #expect(try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil) == first)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(hit: 1, verified: 1))

            // Trust ran out: one lookup, no argon2, the same principal, and a fresh trust period.
            clock.advance(by: .milliseconds(1))
            #expect(try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil) == first)
            #expect(authenticator.verificationCount == 1)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(hit: 1, revalidated: 1, verified: 1))
            let touched = try await fixture.keys.listKeys(tenantID: tenant.tenantID).first?.lastUsedAt
            let before = try #require(lastUsed)
            let after = try #require(touched)
            #expect(after > before, "a revalidation records the key's use")
            clock.advance(by: Self.ttl - .milliseconds(1))
            _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(hit: 2, revalidated: 1, verified: 1))

            // Every trust period up to the end of the memory: lookups only.
            for _ in 0..<58 {
                clock.advance(by: Self.ttl)
                _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            }
            #expect(authenticator.verificationCount == 1)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(hit: 2, revalidated: 59, verified: 1))
            // The memory is counted from the argon2 verification, not extended by revalidations.
            clock.advance(by: Self.ttl)
            _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            #expect(authenticator.verificationCount == 2)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(hit: 2, revalidated: 59, verified: 2))
        }
    }

    @Test func withAZeroTTLEveryRequestLooksTheKeyUpButArgon2RunsOnce() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let authenticator = fixture.authenticator(cacheTTL: .zero, keyMemory: Self.memory)
            for _ in 0..<4 {
                _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            }
            #expect(authenticator.verificationCount == 1)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(revalidated: 3, verified: 1))
        }
    }

    @Test func aRevokedRememberedKeyIsRefusedAfterTheTTLWithoutArgon2AndForgotten() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let clock = ManualClock()
            let authenticator = fixture.authenticator(cacheTTL: Self.ttl, keyMemory: Self.memory, now: clock.now)
            let principal = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.3")
            clock.advance(by: Self.ttl)
            _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.3")
            #expect(try await fixture.keys.revokeKey(tenantID: tenant.tenantID, keyID: principal.keyID, reason: "leaked"))
            // Revocation delay unchanged: trusted until the end of the current period, not beyond.
            clock.advance(by: Self.ttl - .milliseconds(1))
            #expect(try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.3") == principal)
            clock.advance(by: .milliseconds(1))
            let refused = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.3")
            }
            #expect(refused?.reason == .revoked)
            #expect(authenticator.verificationCount == 1)
            #expect(authenticator.rememberedKeyCount == 0)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(hit: 1, revalidated: 1, verified: 1, refused: 1))
            // Still refused, by lookup and argon2 as a key nobody remembers.
            let again = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.3")
            }
            #expect(again?.reason == .revoked)
            #expect(authenticator.verificationCount == 2)
        }
    }

    @Test func aDisabledTenantOfARememberedKeyIsRefusedAfterTheTTL() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let clock = ManualClock()
            let authenticator = fixture.authenticator(cacheTTL: Self.ttl, keyMemory: Self.memory, now: clock.now)
            _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            #expect(try await fixture.keys.disableTenant(tenantID: tenant.tenantID))
            clock.advance(by: Self.ttl)
            let refused = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            }
            #expect(refused?.reason == .tenantDisabled)
            #expect(authenticator.verificationCount == 1)
        }
    }

    @Test func aChangedStoredHashIsVerifiedWithArgon2Again() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let clock = ManualClock()
            let authenticator = fixture.authenticator(cacheTTL: Self.ttl, keyMemory: Self.memory, now: clock.now)
            let principal = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)

            // Re-hashed (same key, new salt): argon2 runs again and accepts it.
            let rehashed = try await fixture.hasher.hash(tenant.masterKey)
            try await Self.updateKey(fixture, principal.keyID, "key_hash", to: rehashed, as: "text")
            clock.advance(by: Self.ttl)
            #expect(try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil) == principal)
            #expect(authenticator.verificationCount == 2)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(verified: 2))
            // The new hash is the remembered one now: the next period is a lookup only.
            clock.advance(by: Self.ttl)
            _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            #expect(authenticator.verificationCount == 2)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(revalidated: 1, verified: 2))

            // Replaced by the hash of another key: argon2 runs and refuses the presented key.
            let replaced = try await fixture.hasher.hash(MasterKey.generate())
            try await Self.updateKey(fixture, principal.keyID, "key_hash", to: replaced, as: "text")
            clock.advance(by: Self.ttl)
            let refused = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            }
            #expect(refused?.reason == .unknownKey)
            #expect(authenticator.verificationCount == 3)
            #expect(authenticator.rememberedKeyCount == 0)
        }
    }

    @Test func scopeAndStoreChangesArePickedUpAtRevalidation() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            try await StoreScopedKeyTests.insertStore("10001", name: "Main", tenantID: tenant.tenantID, in: fixture.database)
            let clock = ManualClock()
            let authenticator = fixture.authenticator(cacheTTL: Self.ttl, keyMemory: Self.memory, now: clock.now)
            let principal = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            #expect(principal.scopes == [.read, .write] && principal.storeIDs == nil)

            try await Self.updateKey(fixture, principal.keyID, "scopes", to: "{read}", as: "text[]")
            try await Self.updateKey(fixture, principal.keyID, "store_ids", to: "{10001}", as: "text[]")
            clock.advance(by: Self.ttl - .milliseconds(1))
            #expect(try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil) == principal)
            clock.advance(by: .milliseconds(1))
            let narrowed = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            #expect(narrowed.scopes == [.read])
            #expect(!narrowed.allows(.write))
            #expect(narrowed.storeIDs == ["10001"])
            #expect(narrowed.keyID == principal.keyID && narrowed.tenantID == principal.tenantID)
            #expect(authenticator.verificationCount == 1)
            // And the narrowed principal is what the trust period serves.
            #expect(try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil) == narrowed)
        }
    }

    @Test func concurrentRequestsForARememberedKeyShareOneRevalidation() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let clock = ManualClock()
            let authenticator = fixture.authenticator(cacheTTL: Self.ttl, keyMemory: Self.memory, now: clock.now)
            _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            clock.advance(by: Self.ttl)
            try await withThrowingTaskGroup(of: TenantPrincipal.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil) }
                }
                for try await principal in group { #expect(principal.tenantID == tenant.tenantID) }
            }
            // One lookup for all of them (the others waited for it, or came after it: hits).
            #expect(authenticator.verificationCount == 1)
            #expect(authenticator.keyCacheCounts == KeyCacheCounts(hit: 15, revalidated: 1, verified: 1))
        }
    }

    @Test func theMemoryBoundForgetsTheLeastRecentlyUsedKey() async throws {
        try await AppFixture.run { fixture in
            let a = try await fixture.createTenant()
            let b = try await fixture.createTenant()
            let c = try await fixture.createTenant()
            let clock = ManualClock()
            let authenticator = fixture.authenticator(
                cacheTTL: Self.ttl, keyMemory: Self.memory, keyMemoryEntries: 2, now: clock.now)
            for tenant in [a, b, a, c] {
                _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: nil)
            }
            #expect(authenticator.rememberedKeyCount == 2)
            #expect(authenticator.verificationCount == 3)
            // A was used after B, so B was forgotten: B is verified again, A and C are hits.
            _ = try await authenticator.authenticate(masterKey: a.masterKey, clientIP: nil)
            _ = try await authenticator.authenticate(masterKey: c.masterKey, clientIP: nil)
            #expect(authenticator.verificationCount == 3)
            _ = try await authenticator.authenticate(masterKey: b.masterKey, clientIP: nil)
            #expect(authenticator.verificationCount == 4)
            #expect(authenticator.rememberedKeyCount == 2)
        }
    }
}

/// The cache on its own (no database): the bound holds with many keys.
@Suite struct VerifiedKeyCacheBoundTests {
    static func principal() -> TenantPrincipal {
        TenantPrincipal(tenantID: UUID(), keyID: UUID(), keyPrefix: "odmk_abc", scopes: [.read])
    }

    @Test func manyKeysNeverExceedTheCapacityAndRecentOnesStay() async throws {
        let cache = VerifiedKeyCache(ttl: .seconds(60), memory: .seconds(3_600), capacity: 640)
        let recent = Array(repeating: UInt8(0xAA), count: 32)
        for index in 0..<5_000 {
            let fingerprint = SHA256.hash(Array("key \(index)".utf8))
            let principal = Self.principal()
            let row = VerifiedKeyCache.VerifiedRow(
                keyID: principal.keyID, tenantID: principal.tenantID, storedHashDigest: fingerprint)
            let answer = cache.check(fingerprint) { _ in .verified(principal, row) }
            guard case .check(let task, joined: false) = answer else {
                Issue.record("key \(index) was not checked")
                return
            }
            _ = try await task.value
            if index == 0 {
                let kept = cache.check(recent) { _ in .verified(principal, row) }
                if case .check(let task, _) = kept { _ = try await task.value }
            }
            // Keep one key in use throughout: it must never be evicted.
            #expect(cache.principal(for: recent) != nil, "after key \(index)")
            #expect(cache.count <= 640)
        }
        #expect(cache.count > 600)
    }
}
