import Foundation
import Postgres

/// One sign-in link made for one tenant the address is a member of.
public struct MagicLinkIssue: Sendable, Hashable {
    public let tenantID: UUID
    public let tenantName: String
    /// The link's token (43 base64url characters), the only time it exists in plaintext: put it in
    /// the mail, never in a log.
    public let token: String
}

/// What redeeming a magic link found.
public enum MagicLinkRedemption: Sendable, Equatable {
    /// The link was good and is now used: sign `email` in for `tenantID`.
    case signedIn(tenantID: UUID, email: MemberEmail)
    /// The link is past its expiry (used or not).
    case expired
    /// The link was redeemed before.
    case alreadyUsed
    /// The link is live but this browser is not the one that asked for it (no binding cookie, or
    /// another one). The link is not used up: the right browser can still redeem it.
    case wrongBrowser
    /// No such link (malformed, never issued, swept), or it can no longer sign anyone in: the tenant
    /// is disabled or the address is no longer one of its members.
    case unknown
}

/// Magic links in `orderdesk.magic_links` (purpose `login`): single use, short-lived, bound to the
/// browser that asked, for a member's normalized address.
///
/// Tokens and bindings are 32 random bytes in base64url; the database keeps their SHA-256 only.
/// The binding is a random value the sign-in page sets in a cookie of the browser that submits the
/// address (`newBinding()`); redeeming needs the same value.
public final class MagicLinkStore: Sendable {
    let database: Database
    /// How long a link can be used (`MAGIC_LINK_TTL_SECONDS`, default 900).
    public let ttl: Duration

    public init(database: Database, ttl: Duration = .seconds(900)) {
        self.database = database
        self.ttl = ttl
    }

    /// `MAGIC_LINK_TTL_SECONDS`: 60 to 3600, default 900.
    public static func ttl(reader: EnvironmentReader) throws -> Duration {
        .seconds(try reader.integer("MAGIC_LINK_TTL_SECONDS", default: 900, range: 60...3600))
    }

    /// A new browser-binding value for the sign-in cookie (43 base64url characters).
    public static func newBinding() -> String {
        SignInSecret.generate()
    }

    /// Whether `binding` has the form `newBinding()` gives.
    public static func isWellFormedBinding(_ binding: String) -> Bool {
        SignInSecret.isWellFormed(binding)
    }

    /// Makes one link for each active tenant `email` is a member of (`member_tenants()`), ordered
    /// by tenant name; `[]` for an address that is no member of an active tenant.
    ///
    /// The caller must answer a non-member exactly as a member (same page, no mail).
    /// - Throws: `MagicLinkStore.MalformedBinding` unless `binding` came from `newBinding()`.
    public func issue(to email: MemberEmail, binding: String) async throws -> [MagicLinkIssue] {
        guard Self.isWellFormedBinding(binding) else { throw MalformedBinding() }
        let bindingHash = SignInSecret.hash(binding)
        let tenants = try await database.statement(
            "SELECT tenant_id, tenant_name FROM orderdesk.member_tenants(\(email.address))", tenant: nil
        ).rows.map { row in (try row.decode(UUID.self, "tenant_id"), try row.decode(String.self, "tenant_name")) }
        let seconds = SignInSecret.seconds(ttl)
        var issued: [MagicLinkIssue] = []
        for (tenantID, tenantName) in tenants {
            let token = SignInSecret.generate()
            let hash = SignInSecret.hash(token)
            // The membership is checked again in the tenant's transaction: it may have been removed
            // (or the tenant disabled) since member_tenants() answered.
            let inserted = try await database.statement(
                """
                INSERT INTO orderdesk.magic_links (token_hash, tenant_id, email, purpose, expires_at, binding_hash)
                SELECT \(hash), m.tenant_id, m.email, 'login', now() + make_interval(secs => \(seconds)), \(bindingHash)
                FROM orderdesk.tenant_members AS m
                JOIN orderdesk.tenants AS t ON t.id = m.tenant_id AND t.status = 'active'
                WHERE m.tenant_id = \(tenantID) AND m.email = \(email.address)
                """, tenant: tenantID
            ).affectedRows
            if inserted == 1 { issued.append(MagicLinkIssue(tenantID: tenantID, tenantName: tenantName, token: token)) }
        }
        return issued
    }

    /// Redeems a link. Success marks it used, exactly once however many redeem it at the same time.
    /// A missing or wrong `binding` (the cookie) answers `.wrongBrowser` and leaves the link usable.
    ///
    /// Order of answers for a link that exists: `.expired`, then `.alreadyUsed`, then
    /// `.wrongBrowser`; a disabled tenant or a removed member reads `.unknown`.
    public func redeem(token: String, binding: String?) async throws -> MagicLinkRedemption {
        guard SignInSecret.isWellFormed(token) else { return .unknown }
        let hash = SignInSecret.hash(token)
        guard
            let found = try await database.statement(
                "SELECT tenant_id, expired, used, tenant_active FROM orderdesk.lookup_magic_link(\(hash))", tenant: nil
            ).rows.first
        else { return .unknown }
        let tenantID = try found.decode(UUID.self, "tenant_id")
        if try found.decode(Bool.self, "expired") { return .expired }
        if try found.decode(Bool.self, "used") { return .alreadyUsed }
        guard try found.decode(Bool.self, "tenant_active") else { return .unknown }
        guard let binding, Self.isWellFormedBinding(binding) else { return .wrongBrowser }
        let bindingHash = SignInSecret.hash(binding)
        // One statement: the row lock serializes concurrent redemptions; the loser re-reads the row,
        // sees used_at set and updates nothing.
        let row = try await database.statement(
            """
            WITH redeemed AS (
                UPDATE orderdesk.magic_links AS l
                SET used_at = now()
                WHERE l.token_hash = \(hash) AND l.purpose = 'login' AND l.used_at IS NULL AND l.expires_at > now()
                  AND l.binding_hash = \(bindingHash)
                  AND EXISTS (SELECT 1 FROM orderdesk.tenant_members AS m
                              WHERE m.tenant_id = l.tenant_id AND m.email = l.email)
                  AND EXISTS (SELECT 1 FROM orderdesk.tenants AS t WHERE t.id = l.tenant_id AND t.status = 'active')
                RETURNING l.email
            )
            SELECT (SELECT email FROM redeemed) AS email,
                   l.used_at IS NOT NULL AS used, l.expires_at <= now() AS expired,
                   l.binding_hash = \(bindingHash) AS bound
            FROM orderdesk.magic_links AS l
            WHERE l.token_hash = \(hash) AND l.purpose = 'login'
            """, tenant: tenantID
        ).rows.first
        guard let row else { return .unknown }
        if let email = try row.decode(String?.self, "email") {
            return .signedIn(tenantID: tenantID, email: MemberEmail(stored: email))
        }
        // Not redeemed by this call. The outer SELECT saw the row as it was before this statement.
        if try row.decode(Bool.self, "expired") { return .expired }
        if try row.decode(Bool.self, "used") { return .alreadyUsed }
        guard try row.decode(Bool.self, "bound") else { return .wrongBrowser }
        // Unused, live and bound, yet not updated: another redemption won the row lock meanwhile,
        // or the membership or tenant is gone.
        return try await stateAfterLosing(hash)
    }

    /// Why a live, correctly bound link was not redeemed: used by a concurrent redemption, or no
    /// longer able to sign anyone in.
    private func stateAfterLosing(_ hash: [UInt8]) async throws -> MagicLinkRedemption {
        guard
            let found = try await database.statement(
                "SELECT expired, used FROM orderdesk.lookup_magic_link(\(hash))", tenant: nil
            ).rows.first
        else { return .unknown }
        if try found.decode(Bool.self, "used") { return .alreadyUsed }
        if try found.decode(Bool.self, "expired") { return .expired }
        return .unknown
    }

    /// `issue` was given a binding that did not come from `newBinding()`.
    public struct MalformedBinding: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String { "the browser binding is not 43 base64url characters" }
    }
}
