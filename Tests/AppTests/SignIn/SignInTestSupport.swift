import App
import Foundation
import Postgres

extension AppFixture {
    /// A new active tenant with `emails` as members.
    func tenantWithMembers(_ name: String, _ emails: [String]) async throws -> UUID {
        let tenant = try await createTenant(name).tenantID
        for email in emails { _ = try await TenantMembers(database: database).addMember(tenantID: tenant, email: email) }
        return tenant
    }

    /// The `used_at IS NOT NULL` of every magic link, as the superuser sees it.
    func magicLinksUsed() async throws -> [Bool] {
        try await asSuperuser { tx in
            try tx.query("SELECT used_at IS NOT NULL AS used FROM orderdesk.magic_links ORDER BY created_at").map {
                try $0.decode(Bool.self, "used")
            }
        }
    }
}
