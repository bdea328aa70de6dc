import Cryptography
import Foundation
import Logging
import Postgres
import Synchronization

/// Turns a presented master key into a `TenantPrincipal`, or refuses it.
///
/// The path of a key: shape check (no I/O) → fingerprint `HMAC(pepper, key)` → per-replica cache →
/// per-address failure budget (Postgres, shared by replicas) → `orderdesk.lookup_master_key_v2` →
/// argon2id verification on the `KeyHasher` pool → revoked / disabled checks → cache. So argon2 runs
/// once per key per replica per `cacheTTL`, and an attacker gets `failuresPerIPPerMinute` guesses a
/// minute per address, whatever the number of replicas.
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
        self.cache = VerifiedKeyCache(ttl: configuration.cacheTTL, now: now)
    }

    /// How many argon2id verifications this instance has run (for metrics, and for tests that
    /// check the cache keeps it at one per key per TTL).
    public var verificationCount: Int { verifications.load(ordering: .relaxed) }

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
        if let principal = cache.principal(for: fingerprint) { return principal }

        let client = ClientAddress(clientIP)
        // The failure budget applies to refused keys only. A live key is never refused because of
        // the address it comes from: behind a load balancer all clients share one address, and
        // anyone could otherwise lock every tenant out with 20 random keys a minute. Guessing stays
        // cheap for us: argon2 runs only for fingerprints that exist, i.e. for the real key.
        let verification = cache.verification(for: fingerprint) { [self] in
            try await self.verify(masterKey, fingerprint: fingerprint)
        }
        switch try await verification.value {
        case .verified(let principal):
            return principal
        case .refused(let reason):
            try await chargeFailure(client)
            throw AuthenticationFailure(reason)
        }
    }

    /// Looks the key up and verifies it. Runs at most once at a time per fingerprint (see
    /// `VerifiedKeyCache.verification`).
    private func verify(_ masterKey: String, fingerprint: [UInt8]) async throws -> VerifiedKeyCache.Verification {
        let found = try await database.withUnscopedTransaction { tx in
            try MasterKeyRecord.find(fingerprint: fingerprint, in: tx)
        }
        // No row: the fingerprint is unknown, so there is nothing to verify (and argon2 is spared).
        guard let record = found else { return .refused(.unknownKey) }
        verifications.add(1, ordering: .relaxed)
        guard try await hasher.verify(masterKey, against: record.keyHash) else { return .refused(.unknownKey) }
        // Only a holder of the real key learns that it is revoked or its tenant disabled.
        guard !record.revoked else { return .refused(.revoked) }
        guard record.tenantActive else { return .refused(.tenantDisabled) }
        await touch(record)
        return .verified(
            TenantPrincipal(
                tenantID: record.tenantID, keyID: record.keyID, keyPrefix: MasterKey.displayPrefix(masterKey),
                scopes: record.scopes, storeIDs: record.storeIDs))
    }

    /// Records `last_used_at`, once per verification (so at most once per cache period per replica).
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
