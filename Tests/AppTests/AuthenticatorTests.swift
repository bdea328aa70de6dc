import Cryptography
import Foundation
import Postgres
import TestSupport
import Testing

@testable import App

@Suite(.serialized) struct AuthenticatorTests {
    @Test func validKeyAuthenticatesAsItsTenantAndRecordsLastUse() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let principal = try await fixture.authenticator().authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.1")
            #expect(principal.tenantID == tenant.tenantID)
            #expect(principal.keyPrefix == MasterKey.displayPrefix(tenant.masterKey))
            #expect(principal.scopes == [.read, .write])
            #expect(principal.allows(.read) && principal.allows(.write))
            let lastUsed = try await fixture.keys.listKeys(tenantID: tenant.tenantID).first?.lastUsedAt
            #expect(lastUsed != nil)
        }
    }

    @Test func unknownOrWrongKeyIsUnknownKey() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let authenticator = fixture.authenticator()
            let unknown = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: MasterKey.generate(), clientIP: "192.0.2.1")
            }
            #expect(unknown?.reason == .unknownKey)
            // Same tenant's key with one character changed: a different fingerprint, so unknown.
            var altered = Array(tenant.masterKey)
            altered[10] = altered[10] == "A" ? "B" : "A"
            let wrong = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: String(altered), clientIP: "192.0.2.1")
            }
            #expect(wrong?.reason == .unknownKey)
            // A key under another pepper (another deployment) is unknown here.
            let otherPepper = Authenticator(
                database: fixture.database, pepper: SecureRandom.bytes(32), hasher: fixture.hasher)
            let foreign = await caught(AuthenticationFailure.self) {
                try await otherPepper.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.1")
            }
            #expect(foreign?.reason == .unknownKey)
            #expect(wrong.map { !"\($0)".contains(String(altered)) } == true)
        }
    }

    @Test func malformedOrMissingKeyIsRefusedWithoutTouchingTheDatabase() async throws {
        // A database that cannot be reached: any query would throw PostgresError, not a failure.
        let unreachable = Database(
            configuration: DatabaseConfiguration(
                url: "postgresql:///nowhere?host=/nonexistent-socket-dir&port=1&connect_timeout=1", poolSize: 1))
        let hasher = KeyHasher(threads: 1, parameters: AppFixture.cheapArgon2)
        let authenticator = Authenticator(database: unreachable, pepper: SecureRandom.bytes(32), hasher: hasher)
        for key in ["odmk_short", "Bearer odmk_x", MasterKey.generate() + "x", "x" + MasterKey.generate().dropFirst()] {
            let failure = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: key, clientIP: "192.0.2.1")
            }
            #expect(failure?.reason == .malformed, "\(key.count) characters")
        }
        let missing = await caught(AuthenticationFailure.self) {
            try await authenticator.authenticate(masterKey: "", clientIP: nil)
        }
        #expect(missing?.reason == .missing)
        #expect(authenticator.verificationCount == 0)
        // The same database does fail a well-formed key, proving the checks above never reached it.
        let reached = await caught(PostgresError.self) {
            try await authenticator.authenticate(masterKey: MasterKey.generate(), clientIP: nil)
        }
        #expect(reached != nil)
        await hasher.shutdown()
        await unreachable.shutdown()
    }

    @Test func revokedKeyWorksWithinTheCacheTTLAndIsRefusedAfterIt() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let clock = ManualClock()
            let authenticator = fixture.authenticator(cacheTTL: .seconds(2), now: clock.now)
            let principal = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.1")
            #expect(try await fixture.keys.revokeKey(tenantID: tenant.tenantID, keyID: principal.keyID, reason: "leaked"))
            // Still cached on this replica, up to the last moment of the TTL.
            #expect(try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.1") == principal)
            clock.advance(by: .seconds(2) - .milliseconds(1))
            #expect(try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.1") == principal)
            clock.advance(by: .milliseconds(1))
            let refused = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.1")
            }
            #expect(refused?.reason == .revoked)
            // A replica that never saw the key refuses it at once.
            let fresh = await caught(AuthenticationFailure.self) {
                try await fixture.authenticator().authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.1")
            }
            #expect(fresh?.reason == .revoked)
        }
    }

    @Test func disabledTenantIsRefused() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let other = try await fixture.createTenant()
            let clock = ManualClock()
            let authenticator = fixture.authenticator(cacheTTL: .seconds(1), now: clock.now)
            let principal = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.1")
            #expect(try await fixture.keys.disableTenant(tenantID: tenant.tenantID))
            // Cached until the TTL ends, like a revoked key.
            clock.advance(by: .seconds(1) - .milliseconds(1))
            #expect(try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.1") == principal)
            clock.advance(by: .milliseconds(1))
            let refused = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.1")
            }
            #expect(refused?.reason == .tenantDisabled)
            // Other tenants are unaffected.
            #expect(
                try await authenticator.authenticate(masterKey: other.masterKey, clientIP: "192.0.2.1").tenantID == other.tenantID
            )
        }
    }

    @Test func bruteForceFromOneAddressIsCutOffAcrossReplicasButOtherAddressesAreNot() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let limit = 5
            let authenticator = fixture.authenticator(failuresPerMinute: limit)
            for attempt in 1...limit {
                let failure = await caught(AuthenticationFailure.self) {
                    try await authenticator.authenticate(masterKey: MasterKey.generate(), clientIP: "198.51.100.7")
                }
                #expect(failure?.reason == .unknownKey, "attempt \(attempt)")
            }
            let blocked = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: MasterKey.generate(), clientIP: "198.51.100.7")
            }
            #expect(blocked?.reason == .tooManyAttempts)
            #expect((1...60).contains(blocked?.retryAfterSeconds ?? 0))
            #expect(blocked.map { "\($0)".contains("seconds") } == true)
            // A live key is still accepted from that address: behind a load balancer every client shares
            // it, and random guesses must not lock real tenants out. (Guesses never reach argon2: an
            // unknown fingerprint has no row.)
            #expect(authenticator.verificationCount == 0)
            let valid = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "198.51.100.7")
            #expect(valid.tenantID == tenant.tenantID)

            // Another replica (its own pool and memory) sees the same budget.
            let replicaDatabase = fixture.secondReplica()
            let replica = Authenticator(
                database: replicaDatabase, pepper: fixture.pepper, hasher: fixture.hasher,
                configuration: AuthenticationConfiguration(failuresPerIPPerMinute: limit))
            let viaReplica = await caught(AuthenticationFailure.self) {
                try await replica.authenticate(masterKey: MasterKey.generate(), clientIP: "198.51.100.7")
            }
            #expect(viaReplica?.reason == .tooManyAttempts)

            // Other addresses are unaffected.
            let elsewhere = await caught(AuthenticationFailure.self) {
                try await replica.authenticate(masterKey: MasterKey.generate(), clientIP: "198.51.100.8")
            }
            #expect(elsewhere?.reason == .unknownKey)
            #expect(
                try await replica.authenticate(masterKey: tenant.masterKey, clientIP: "198.51.100.8").tenantID == tenant.tenantID)
            await replicaDatabase.shutdown()
        }
    }

    @Test func failuresFromOneIPv6NetworkShareABudget() async throws {
        try await AppFixture.run { fixture in
            let authenticator = fixture.authenticator(failuresPerMinute: 2)
            for address in ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9"] {
                _ = await caught(AuthenticationFailure.self) {
                    try await authenticator.authenticate(masterKey: MasterKey.generate(), clientIP: address)
                }
            }
            let sameNetwork = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: MasterKey.generate(), clientIP: "[2001:db8:1:2::abcd]")
            }
            #expect(sameNetwork?.reason == .tooManyAttempts)
            let otherNetwork = await caught(AuthenticationFailure.self) {
                try await authenticator.authenticate(masterKey: MasterKey.generate(), clientIP: "2001:db8:1:3::1")
            }
            #expect(otherNetwork?.reason == .unknownKey)
        }
    }

    @Test func withoutKeyMemoryArgon2RunsOncePerKeyPerReplicaPerTTL() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let clock = ManualClock()
            // AUTH_KEY_MEMORY_SECONDS=0: the behaviour before key memory (KeyMemoryTests covers it on).
            let authenticator = fixture.authenticator(cacheTTL: .seconds(3), keyMemory: .zero, now: clock.now)
            // A burst of concurrent first requests shares one verification.
            try await withThrowingTaskGroup(of: TenantPrincipal.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.9") }
                }
                for try await principal in group { #expect(principal.tenantID == tenant.tenantID) }
            }
            for _ in 0..<10 {
                _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.9")
            }
            #expect(authenticator.verificationCount == 1)
            clock.advance(by: .seconds(3) - .milliseconds(1))
            _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.9")
            #expect(authenticator.verificationCount == 1)
            clock.advance(by: .milliseconds(1))
            _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.9")
            #expect(authenticator.verificationCount == 2)
            // Verified again, so cached again for a whole TTL.
            clock.advance(by: .seconds(3) - .milliseconds(1))
            _ = try await authenticator.authenticate(masterKey: tenant.masterKey, clientIP: "192.0.2.9")
            #expect(authenticator.verificationCount == 2)
        }
    }

    @Test func readOnlyKeyAllowsReadingOnly() async throws {
        try await AppFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let created = try await fixture.keys.createKey(tenantID: tenant.tenantID, scopes: [.read], label: "reporting")
            let principal = try await fixture.authenticator().authenticate(masterKey: created.masterKey, clientIP: nil)
            #expect(principal.keyID == created.keyID)
            #expect(principal.scopes == [.read])
            #expect(principal.allows(.read))
            #expect(!principal.allows(.write))
        }
    }

    @Test func configurationComesFromTheEnvironment() throws {
        let defaults = try AuthenticationConfiguration(reader: EnvironmentReader([:]))
        #expect(defaults.cacheTTL == .seconds(60))
        #expect(defaults.failuresPerIPPerMinute == 20)
        #expect(defaults.keyMemory == .seconds(86_400))
        #expect(defaults.keyMemoryEntries == 10_000)
        let custom = try AuthenticationConfiguration(
            reader: EnvironmentReader([
                "AUTH_CACHE_TTL_SECONDS": "5", "AUTH_FAILURES_PER_MINUTE": "50", "AUTH_KEY_MEMORY_SECONDS": "0",
                "AUTH_KEY_MEMORY_ENTRIES": "2500",
            ]))
        #expect(custom.cacheTTL == .seconds(5))
        #expect(custom.failuresPerIPPerMinute == 50)
        #expect(custom.keyMemory == .zero)
        #expect(custom.keyMemoryEntries == 2500)
        #expect(throws: ConfigurationError.self) {
            try AuthenticationConfiguration(reader: EnvironmentReader(["AUTH_CACHE_TTL_SECONDS": "600"]))
        }
        #expect(throws: ConfigurationError.self) {
            try AuthenticationConfiguration(reader: EnvironmentReader(["AUTH_KEY_MEMORY_SECONDS": "604801"]))
        }
        #expect(throws: ConfigurationError.self) {
            try AuthenticationConfiguration(reader: EnvironmentReader(["AUTH_KEY_MEMORY_ENTRIES": "10"]))
        }
        do {
            _ = try AuthenticationConfiguration(reader: EnvironmentReader(["AUTH_FAILURES_PER_MINUTE": "lots"]))
            Issue.record("accepted a non-number")
        } catch let error as ConfigurationError {
            #expect(error.variable == "AUTH_FAILURES_PER_MINUTE")
        }
    }
}

@Suite struct ClientAddressTests {
    @Test func addressesAreCountedPerIPv4AddressAndPerIPv6Network() {
        #expect(ClientAddress("192.0.2.1").bucketKey == "192.0.2.1")
        #expect(ClientAddress(" 192.0.2.1 ").bucketKey == "192.0.2.1")
        #expect(ClientAddress("::ffff:192.0.2.1").bucketKey == "192.0.2.1")
        #expect(ClientAddress("2001:db8:1:2:3:4:5:6").bucketKey == "2001:db8:1:2::/64")
        #expect(ClientAddress("[2001:DB8:1:2::9]").bucketKey == "2001:db8:1:2::/64")
        #expect(ClientAddress("fe80::1%eth0").bucketKey == "fe80::/64")
        #expect(ClientAddress(nil).bucketKey == "unknown")
        #expect(ClientAddress("not an address").bucketKey == "unknown")
        #expect(ClientAddress.canonicalIP("2001:DB8::1") == "2001:db8::1")
        #expect(ClientAddress.canonicalIP("example.com") == nil)
    }
}

@Suite struct TrimmedTextTests {
    @Test(arguments: [
        ("abc", "abc"), (" abc", "abc"), ("abc\t", "abc"), ("\t a b \t", "a b"), ("", ""), ("   ", ""),
        ("\u{00A0}abc\u{2003}", "abc"), ("é", "é"), ("a\n", "a\n"), ("x", "x"),
    ])
    func trimsWhatFoundationTrims(text: String, expected: String) {
        #expect(TrimmedText.withoutSpaceAround(text) == expected)
        #expect(TrimmedText.withoutSpaceAround(text) == text.trimmingCharacters(in: .whitespaces))
    }
}
