import Cryptography
import Foundation
import Logging
import Postgres
import Synchronization

/// Turns a presented master key into a `TenantPrincipal`, or refuses it.
///
/// The path of a key: shape check (no I/O) → fingerprint `HMAC(pepper, key)` → per-replica cache
/// (trusted for `cacheTTL`) → `orderdesk.lookup_master_key_v2` → argon2id verification on the
/// `KeyHasher` pool, skipped when the row and stored hash are the ones this replica verified the key
/// against within `keyMemory` → revoked / disabled checks → cache; a refusal is charged to the
/// per-address failure budget (Postgres, shared by replicas). So a key in use costs one lookup per
/// `cacheTTL` and one argon2 per `keyMemory` per replica, and an attacker gets
/// `failuresPerIPPerMinute` guesses a minute per address, whatever the number of replicas.
///
/// With `PUBLIC_BASE_URL` set (`resource`), a Bearer value shaped like an OAuth access token
/// (`odat_…`) takes another path: one pre-tenant lookup of its SHA-256 (`GrantStore.verifyAccessToken`,
/// no argon2, no cache, so a revoked token stops at once) and the audience check; a refusal is
/// `invalidToken` and counts against the same failure budget as a refused key.
public final class Authenticator: Sendable {
    private let database: Database
    private let pepper: [UInt8]
    private let hasher: KeyHasher
    private let logger: Logger
    public let configuration: AuthenticationConfiguration
    private let cache: VerifiedKeyCache
    private let verifications = Atomic<Int>(0)
    private let tally = KeyCacheTally()
    /// This server as an OAuth resource; nil: access tokens are refused like any malformed key.
    public let resource: ProtectedResource?
    private let grants: GrantStore

    public init(
        database: Database, pepper: [UInt8], hasher: KeyHasher,
        configuration: AuthenticationConfiguration = .init(), resource: ProtectedResource? = nil,
        logger: Logger = Logger(label: "orderdesk.authentication"), now: @escaping InstantSource = { .now }
    ) {
        self.database = database
        self.resource = resource
        self.grants = GrantStore(database: database)
        self.pepper = pepper
        self.hasher = hasher
        self.configuration = configuration
        self.logger = logger
        self.cache = VerifiedKeyCache(
            ttl: configuration.cacheTTL, memory: configuration.keyMemory, capacity: configuration.keyMemoryEntries,
            now: now)
    }

    /// How many argon2id verifications this instance has run (for tests that check the cache keeps
    /// it at one per key per key-memory period).
    public var verificationCount: Int { verifications.load(ordering: .relaxed) }

    /// How this instance's verified-key cache answered well-formed master keys so far (what
    /// `odmcp_key_cache_total` counts for the whole process).
    public var keyCacheCounts: KeyCacheCounts { tally.counts }

    /// How many keys this instance remembers.
    var rememberedKeyCount: Int { cache.count }

    /// The principal for `masterKey`, or `AuthenticationFailure`.
    ///
    /// - Parameter clientIP: the client's address, whose failed attempts are counted; nil counts
    ///   under a shared `unknown` bucket.
    /// - Throws: `AuthenticationFailure`; `PostgresError` when the database cannot be reached
    ///   (the caller should answer 503, not 401).
    public func authenticate(masterKey: String, clientIP: String?) async throws -> TenantPrincipal {
        do {
            return try await principal(for: masterKey, clientIP: clientIP)
        } catch let failure as AuthenticationFailure {
            ServiceMetrics.authenticationFailed(failure.reason)
            throw failure
        }
    }

    /// The principal for a Bearer value: an OAuth access token when OAuth is on and the value has
    /// the `odat_` prefix, else a master key (`authenticate(masterKey:clientIP:)`).
    public func authenticate(bearer: String, clientIP: String?) async throws -> TenantPrincipal {
        guard let resource, bearer.hasPrefix(OAuthTokenFormat.access.prefix) else {
            return try await authenticate(masterKey: bearer, clientIP: clientIP)
        }
        do {
            return try await principal(forAccessToken: bearer, resource: resource, clientIP: clientIP)
        } catch let failure as AuthenticationFailure {
            ServiceMetrics.authenticationFailed(failure.reason)
            throw failure
        }
    }

    private func principal(forAccessToken token: String, resource: ProtectedResource, clientIP: String?) async throws
        -> TenantPrincipal
    {
        // Junk never reaches the database (nor the failure budget, as for a malformed key).
        guard OAuthTokenFormat.access.matches(token) else { throw AuthenticationFailure(.invalidToken) }
        // The audience check is the RFC 8707 binding: a token minted for another resource is refused.
        if let verified = try await grants.verifyAccessToken(token), verified.resource == resource.resource {
            return TenantPrincipal(accessToken: verified)
        }
        try await chargeFailure(ClientAddress(clientIP))
        throw AuthenticationFailure(.invalidToken)
    }

    /// Counts a refused credential against its address's budget; over the budget, `tooManyAttempts`.
    private func chargeFailure(_ client: ClientAddress) async throws {
        let limit = configuration.failuresPerIPPerMinute
        let retryAfter = try await database.withUnscopedTransaction { tx -> Int? in
            if let wait = try FailedAttempts.retryAfter(for: client, limit: limit, in: tx) { return wait }
            try FailedAttempts.record(for: client, in: tx)
            return nil
        }
        if let retryAfter { throw AuthenticationFailure(.tooManyAttempts, retryAfterSeconds: retryAfter) }
    }

    private func principal(for masterKey: String, clientIP: String?) async throws -> TenantPrincipal {
        guard !masterKey.isEmpty else { throw AuthenticationFailure(.missing) }
        // Junk never reaches the database or argon2.
        guard MasterKey.isWellFormed(masterKey) else { throw AuthenticationFailure(.malformed) }
        let fingerprint = MasterKey.fingerprint(masterKey, pepper: pepper)
        if let principal = cache.principal(for: fingerprint) {
            tally.record(.hit)
            return principal
        }

        let client = ClientAddress(clientIP)
        // The failure budget applies to refused keys only. A live key is never refused because of
        // the address it comes from: behind a load balancer all clients share one address, and
        // anyone could otherwise lock every tenant out with 20 random keys a minute. Guessing stays
        // cheap for us: argon2 runs only for fingerprints that exist, i.e. for the real key.
        let answer = cache.check(fingerprint) { [self] remembered in
            try await self.check(masterKey, fingerprint: fingerprint, remembered: remembered)
        }
        let outcome: VerifiedKeyCache.Outcome
        switch answer {
        case .trusted(let principal):
            tally.record(.hit)
            return principal
        case .check(let task, let joined):
            outcome = try await task.value
            // A request that only waited for another's check did no work of its own: a hit.
            switch outcome {
            case .verified where !joined: tally.record(.verified)
            case .revalidated where !joined: tally.record(.revalidated)
            case .verified, .revalidated: tally.record(.hit)
            case .refused: tally.record(.refused)
            }
        }
        switch outcome {
        case .verified(let principal, _), .revalidated(let principal, _):
            return principal
        case .refused(let reason):
            try await chargeFailure(client)
            throw AuthenticationFailure(reason)
        }
    }

    /// Looks the key up and, unless the row is the one `remembered` says argon2 accepted, verifies it.
    /// Runs at most once at a time per fingerprint (see `VerifiedKeyCache.check`).
    private func check(_ masterKey: String, fingerprint: [UInt8], remembered: VerifiedKeyCache.Remembered?)
        async throws -> VerifiedKeyCache.Outcome
    {
        let found = try await database.withUnscopedTransaction { tx in
            try MasterKeyRecord.find(fingerprint: fingerprint, in: tx)
        }
        // No row: the fingerprint is unknown, so there is nothing to verify (and argon2 is spared).
        guard let record = found else { return .refused(.unknownKey) }
        let row = VerifiedKeyCache.VerifiedRow(
            keyID: record.keyID, tenantID: record.tenantID, storedHashDigest: SHA256.hash(Array(record.keyHash.utf8)))
        // The same fingerprint (so the same key) and the same stored hash as when argon2 accepted the
        // key: verifying again would give the same answer.
        let sameRow = remembered.map { $0.row == row } ?? false
        if !sameRow {
            verifications.add(1, ordering: .relaxed)
            guard try await hasher.verify(masterKey, against: record.keyHash) else { return .refused(.unknownKey) }
        }
        // Only a holder of the real key learns that it is revoked or its tenant disabled.
        guard !record.revoked else { return .refused(.revoked) }
        guard record.tenantActive else { return .refused(.tenantDisabled) }
        await touch(record)
        let principal = TenantPrincipal(
            tenantID: record.tenantID, keyID: record.keyID, keyPrefix: MasterKey.displayPrefix(masterKey),
            scopes: record.scopes, storeIDs: record.storeIDs)
        if sameRow, let remembered { return .revalidated(principal, remembered) }
        return .verified(principal, row)
    }

    /// Records `last_used_at`, once per check (so at most once per cache period per replica).
    /// A failure here must not refuse a valid key: it is logged and ignored.
    private func touch(_ record: MasterKeyRecord) async {
        let keyID = record.keyID
        do {
            try await database.withTenantTransaction(record.tenantID) { tx in
                try tx.execute("UPDATE orderdesk.master_key_metadata SET last_used_at = now() WHERE id = \(keyID)")
            }
        } catch {
            logger.warning(
                "could not record master key use", metadata: ["key_id": "\(keyID)", "error": "\(error)"])
        }
    }
}
