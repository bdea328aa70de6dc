import Cryptography
import Foundation
import Postgres

/// A pending authorization request as a browser asks for it: its own, another browser's, or none
/// (malformed, unknown, used or expired id).
public enum AuthorizationRequestLookup: Sendable, Hashable {
    case found(AuthorizationRequest)
    /// The request exists but was started in another browser (another or no browser cookie).
    case otherBrowser
    case none

    /// The request, when it is this browser's.
    public var request: AuthorizationRequest? {
        if case .found(let request) = self { return request }
        return nil
    }
}

/// Pending authorization requests in `orderdesk.oauth_requests`, shared by every replica, between
/// `/oauth/authorize` and the consent page. The request id (`RID`, 43 base64url characters) travels
/// in the pages' `request=` parameter; the database keeps its SHA-256. The table has no tenant.
///
/// Each request is bound to the browser that started it: `/oauth/authorize` gives the browser a
/// random value in a cookie (`newBrowser()`), the row keeps its SHA-256, and loading or consuming
/// the request needs the same value. Whoever learns a request id (from a mail, a URL, a screen)
/// cannot answer the request from another browser.
///
/// Expiry is the database's `now()` plus `ttl`; `sweep_expired()` deletes expired rows.
public final class AuthorizationRequestStore: Sendable {
    let database: Database
    /// How long a request waits for consent (default 10 minutes).
    public let ttl: Duration

    public init(database: Database, ttl: Duration = .seconds(600)) {
        self.database = database
        self.ttl = ttl
    }

    /// A new browser value for the cookie of a browser that has none.
    public static func newBrowser() -> String {
        SignInSecret.generate()
    }

    /// Whether `browser` has the form `newBrowser()` gives.
    public static func isWellFormedBrowser(_ browser: String) -> Bool {
        SignInSecret.isWellFormed(browser)
    }

    /// Saves a validated request, bound to the browser holding `browser`.
    ///
    /// - Returns: the request id (43 base64url characters), the only time it exists in plaintext.
    /// - Throws: `AuthorizationRequestStore.Invalid` when a value breaks the table's limits (no
    ///   scope, a malformed challenge, an unknown scope, a value too long, a malformed `browser`); a
    ///   database error otherwise.
    public func save(_ request: AuthorizationRequest, browser: String) async throws -> String {
        guard Self.isStorable(request), Self.isWellFormedBrowser(browser) else { throw Invalid() }
        let id = SignInSecret.generate()
        let hash = SignInSecret.hash(id)
        let seconds = SignInSecret.seconds(ttl)
        let scopes = PostgresTextArray(request.scopes)
        do {
            try await database.statement(
                """
                INSERT INTO orderdesk.oauth_requests
                    (id_hash, browser_hash, client_id, client_name, redirect_uri, state, code_challenge, scopes,
                     resource, expires_at)
                VALUES (\(hash), \(SignInSecret.hash(browser)), \(request.clientID), \(request.clientName),
                        \(request.redirectURI), \(request.state), \(request.codeChallenge), \(scopes), \(request.resource),
                        now() + make_interval(secs => \(seconds)))
                """, tenant: nil)
        } catch let error as PostgresError where error.sqlState == "23514" {
            throw Invalid()
        }
        return id
    }

    /// The live request with this id, if `browser` is the value of the browser that started it.
    public func load(_ id: String, browser: String?) async throws -> AuthorizationRequestLookup {
        guard SignInSecret.isWellFormed(id) else { return .none }
        guard
            let row = try await database.statement(
                """
                SELECT browser_hash, \(unsafeSQL: Self.columns) FROM orderdesk.oauth_requests
                WHERE id_hash = \(SignInSecret.hash(id)) AND expires_at > now()
                """, tenant: nil
            ).rows.first
        else { return .none }
        let stored = try row.decode([UInt8].self, "browser_hash")
        guard let browser, Self.isWellFormedBrowser(browser),
            ConstantTime.equals(stored, SignInSecret.hash(browser))
        else { return .otherBrowser }
        return .found(try Self.request(row))
    }

    /// `load` and delete in one statement, for the browser that started the request only: at most
    /// one caller ever gets the request (the consent decision, allow or deny). Nil when the id is
    /// malformed, unknown, used, expired or another browser's (which leaves the request as it is).
    public func consume(_ id: String, browser: String) async throws -> AuthorizationRequest? {
        guard SignInSecret.isWellFormed(id), Self.isWellFormedBrowser(browser) else { return nil }
        return try await database.statement(Self.consumeStatement(id, browser: browser), tenant: nil).rows.first
            .flatMap(Self.liveRequest)
    }

    /// `consume` inside a transaction the caller runs (a tenant's: the table has no tenant, so any
    /// transaction can delete from it), so that using up the request commits or rolls back with the
    /// caller's other writes.
    public func consume(_ id: String, browser: String, in transaction: TenantTransaction) throws -> AuthorizationRequest? {
        guard SignInSecret.isWellFormed(id), Self.isWellFormedBrowser(browser) else { return nil }
        return try transaction.query(Self.consumeStatement(id, browser: browser)).first.flatMap(Self.liveRequest)
    }

    static func consumeStatement(_ id: String, browser: String) -> PostgresQuery {
        """
        DELETE FROM orderdesk.oauth_requests
        WHERE id_hash = \(SignInSecret.hash(id)) AND browser_hash = \(SignInSecret.hash(browser))
        RETURNING expires_at > now() AS live, \(unsafeSQL: Self.columns)
        """
    }

    @Sendable static func liveRequest(_ row: PostgresRow) throws -> AuthorizationRequest? {
        try row.decode(Bool.self, "live") ? try request(row) : nil
    }

    /// A request value `save` refused (the pages validate first, so this is a programming error).
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String { "the authorization request has a value outside the stored limits" }
    }

    static let columns = "client_id, client_name, redirect_uri, state, code_challenge, scopes, resource"

    @Sendable static func request(_ row: PostgresRow) throws -> AuthorizationRequest {
        AuthorizationRequest(
            clientID: try row.decode(String.self, "client_id"), clientName: try row.decode(String.self, "client_name"),
            redirectURI: try row.decode(String.self, "redirect_uri"), state: try row.decode(String?.self, "state"),
            codeChallenge: try row.decode(String.self, "code_challenge"),
            scopes: try row.decode(PostgresTextArray.self, "scopes").elements,
            resource: try row.decode(String.self, "resource"))
    }

    /// The table's limits, checked before the INSERT; no value with a NUL or another control
    /// character ever reaches the database (a NUL would fail the statement itself). `state` is
    /// RFC 6749 VSCHAR: 1–1024 characters 0x20–0x7E.
    static func isStorable(_ request: AuthorizationRequest) -> Bool {
        GrantStore.isBounded(request.clientID, 2048) && GrantStore.isBounded(request.clientName, 200)
            && GrantStore.isBounded(request.redirectURI, 2048) && GrantStore.isBounded(request.resource, 2048)
            && [request.clientID, request.clientName, request.redirectURI, request.resource].allSatisfy {
                !$0.unicodeScalars.contains { $0.properties.generalCategory == .control }
            }
            && (request.state.map { state in
                (1...1024).contains(state.utf8.count) && state.utf8.allSatisfy { (0x20...0x7E).contains($0) }
            } ?? true)
            && PKCE.isWellFormedChallenge(request.codeChallenge) && !request.scopes.isEmpty
            && request.scopes.allSatisfy { OAuthScope(rawValue: $0) != nil }
    }
}
