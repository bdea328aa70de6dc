import Foundation
import Postgres

/// Pending authorization requests in `orderdesk.oauth_requests`, shared by every replica, between
/// `/oauth/authorize` and the consent page. The request id (`RID`, 43 base64url characters) travels
/// in the pages' `request=` parameter; the database keeps its SHA-256. The table has no tenant.
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

    /// Saves a validated request.
    ///
    /// - Returns: the request id (43 base64url characters), the only time it exists in plaintext.
    /// - Throws: `AuthorizationRequestStore.Invalid` when a value breaks the table's limits (no
    ///   scope, a malformed challenge, an unknown scope, a value too long); a database error otherwise.
    public func save(_ request: AuthorizationRequest) async throws -> String {
        guard Self.isStorable(request) else { throw Invalid() }
        let id = SignInSecret.generate()
        let hash = SignInSecret.hash(id)
        let seconds = SignInSecret.seconds(ttl)
        let scopes = PostgresTextArray(request.scopes)
        do {
            try await database.statement(
                """
                INSERT INTO orderdesk.oauth_requests
                    (id_hash, client_id, client_name, redirect_uri, state, code_challenge, scopes, resource, expires_at)
                VALUES (\(hash), \(request.clientID), \(request.clientName), \(request.redirectURI), \(request.state),
                        \(request.codeChallenge), \(scopes), \(request.resource),
                        now() + make_interval(secs => \(seconds)))
                """, tenant: nil)
        } catch let error as PostgresError where error.sqlState == "23514" {
            throw Invalid()
        }
        return id
    }

    /// The live request with this id, or nil when the id is malformed, unknown, used or expired.
    public func load(_ id: String) async throws -> AuthorizationRequest? {
        guard SignInSecret.isWellFormed(id) else { return nil }
        return try await database.statement(
            """
            SELECT \(unsafeSQL: Self.columns) FROM orderdesk.oauth_requests
            WHERE id_hash = \(SignInSecret.hash(id)) AND expires_at > now()
            """, tenant: nil
        ).rows.first.map(Self.request)
    }

    /// `load` and delete in one statement: at most one caller ever gets the request (the consent
    /// decision, allow or deny).
    public func consume(_ id: String) async throws -> AuthorizationRequest? {
        guard SignInSecret.isWellFormed(id) else { return nil }
        return try await database.statement(
            """
            DELETE FROM orderdesk.oauth_requests
            WHERE id_hash = \(SignInSecret.hash(id))
            RETURNING expires_at > now() AS live, \(unsafeSQL: Self.columns)
            """, tenant: nil
        ).rows.first.flatMap { row in try row.decode(Bool.self, "live") ? try Self.request(row) : nil }
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
