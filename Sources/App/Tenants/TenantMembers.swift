import Foundation
import JSON
import Postgres

/// Who may sign in for which tenant (`orderdesk.tenant_members`): the operator CLI adds and removes
/// members, the sign-in flow asks which tenants an address belongs to. Every change writes its
/// audit row (actor `cli`) in the same transaction. Removing a member also ends their web sessions
/// and revokes their grants for the tenant.
public struct TenantMembers: Sendable {
    private let database: Database

    public init(database: Database) {
        self.database = database
    }

    public struct Member: Sendable, Hashable {
        public let email: MemberEmail
        public let addedAt: Date
    }

    /// A tenant an address may sign in for.
    public struct MemberTenant: Sendable, Hashable {
        public let tenantID: UUID
        public let name: String
    }

    /// Adds `email` (normalized first) to an active tenant's members.
    /// - Returns: true when this call added it, false when it was already a member (not an error,
    ///   and no audit row: nothing changed).
    /// - Throws: `AdministrationError` (`tenantNotFound`; `validation` for a malformed address or a
    ///   disabled tenant).
    public func addMember(tenantID: UUID, email: String) async throws -> Bool {
        let email = try Self.parse(email)
        return try await database.withTenantTransaction(tenantID) { tx in
            guard let status = try Self.tenantStatus(tenantID, in: tx) else { throw AdministrationError.tenantNotFound(tenantID) }
            guard status == "active" else {
                throw AdministrationError(
                    .validation, "tenant \(tenantID.uuidString.lowercased()) is disabled; its members could not sign in")
            }
            let added = try tx.execute(
                """
                INSERT INTO orderdesk.tenant_members (tenant_id, email) VALUES (\(tenantID), \(email.address))
                ON CONFLICT (tenant_id, email) DO NOTHING
                """)
            guard added == 1 else { return false }
            try Self.audit(tenantID, "cli.tenants.add_member", email, in: tx)
            return true
        }
    }

    /// What `removeMember` did.
    public struct Removal: Sendable, Hashable {
        /// True when the address was a member (false: it was not; the rest still ran).
        public let removed: Bool
        /// The member's grants that were live and are now revoked, with every token under them.
        public let revokedGrants: [UUID]
        /// How many of the member's web sessions were ended.
        public let endedSessions: Int

        public init(removed: Bool, revokedGrants: [UUID], endedSessions: Int) {
            self.removed = removed
            self.revokedGrants = revokedGrants
            self.endedSessions = endedSessions
        }
    }

    /// Removes `email` (normalized first) from a tenant's members, disabled tenants included, and
    /// cuts the access the member already has, in the same transaction: their web sessions for the
    /// tenant are deleted, and every live grant given under their address is revoked with its
    /// tokens (an `oauth.grant_revoked` audit row each, actor `cli`, reason `member_removed`). Both
    /// happen even when the address was no longer a member, so running it again sweeps anything a
    /// sign-in in flight created meanwhile.
    /// - Returns: whether it was a member (no `cli.tenants.remove_member` audit row when not), the
    ///   grants revoked and the sessions ended.
    /// - Throws: `AdministrationError` (`tenantNotFound`, `validation`).
    public func removeMember(tenantID: UUID, email: String) async throws -> Removal {
        let email = try Self.parse(email)
        let correlationID = UUID().uuidString.lowercased()
        return try await database.withTenantTransaction(tenantID) { tx in
            guard try Self.tenantStatus(tenantID, in: tx) != nil else { throw AdministrationError.tenantNotFound(tenantID) }
            let removed = try tx.execute(
                "DELETE FROM orderdesk.tenant_members WHERE tenant_id = \(tenantID) AND email = \(email.address)")
            if removed == 1 {
                var record = Self.auditRecord(tenantID, "cli.tenants.remove_member", email)
                record.correlationID = correlationID
                try record.insert(in: tx)
            }
            let ended = try tx.execute(
                """
                DELETE FROM orderdesk.sessions
                WHERE tenant_id = \(tenantID) AND kind = 'web' AND member_email = \(email.address)
                """)
            let grants = try tx.query(
                """
                SELECT id FROM orderdesk.oauth_grants
                WHERE tenant_id = \(tenantID) AND member_email = \(email.address) AND revoked_at IS NULL
                ORDER BY created_at, id FOR UPDATE
                """
            ).map { try $0.decode(UUID.self, "id") }
            var revoked: [UUID] = []
            for grantID in grants where try GrantStore.revokeGrant(grantID, in: tx) {
                var record = AuditRecord(
                    tenantID: tenantID, correlationID: correlationID, actor: "cli", action: "oauth.grant_revoked",
                    params: ["reason": "member_removed"], outcome: "ok")
                record.target = grantID.uuidString.lowercased()
                try record.insert(in: tx)
                revoked.append(grantID)
            }
            return Removal(removed: removed == 1, revokedGrants: revoked, endedSessions: ended)
        }
    }

    /// The tenant's members by address.
    /// - Throws: `AdministrationError.tenantNotFound`.
    public func listMembers(tenantID: UUID) async throws -> [Member] {
        try await database.withTenantTransaction(tenantID) { tx in
            guard try Self.tenantStatus(tenantID, in: tx) != nil else { throw AdministrationError.tenantNotFound(tenantID) }
            return try tx.query("SELECT email, created_at FROM orderdesk.tenant_members ORDER BY email").map { row in
                Member(
                    email: MemberEmail(stored: try row.decode(String.self, "email")),
                    addedAt: try row.decode(Date.self, "created_at"))
            }
        }
    }

    /// The active tenants `email` may sign in for, by name (at most 100), through the
    /// `member_tenants()` function: the sign-in flow knows no tenant yet, and RLS hides every
    /// member row from the app role until one is set. Empty for a non-member.
    public func tenants(forEmail email: MemberEmail) async throws -> [MemberTenant] {
        try await database.withUnscopedTransaction { tx in
            try tx.query("SELECT tenant_id, tenant_name FROM orderdesk.member_tenants(\(email.address))").map { row in
                MemberTenant(tenantID: try row.decode(UUID.self, "tenant_id"), name: try row.decode(String.self, "tenant_name"))
            }
        }
    }

    // MARK: Helpers

    private static func parse(_ text: String) throws(AdministrationError) -> MemberEmail {
        do {
            return try MemberEmail(text)
        } catch {
            throw AdministrationError(.validation, "--email: \(error.reason)")
        }
    }

    /// The tenant's status, or nil when no such tenant exists. `FOR UPDATE` serializes concurrent
    /// operator commands on one tenant (and a disable racing an add).
    private static func tenantStatus(_ tenantID: UUID, in tx: TenantTransaction) throws -> String? {
        try tx.query("SELECT status FROM orderdesk.tenants WHERE id = \(tenantID) FOR UPDATE").first?
            .decode(String.self, "status")
    }

    /// The address is recorded: the audit trail must say who was given or lost access. It is not a
    /// secret, and the auditor role reads it with the rest of `params`.
    private static func audit(_ tenantID: UUID, _ action: String, _ email: MemberEmail, in tx: TenantTransaction) throws {
        try auditRecord(tenantID, action, email).insert(in: tx)
    }

    private static func auditRecord(_ tenantID: UUID, _ action: String, _ email: MemberEmail) -> AuditRecord {
        AuditRecord(tenantID: tenantID, actor: "cli", action: action, params: ["email": .string(email.address)], outcome: "ok")
    }
}
