import App
import Cryptography
import Foundation
import Postgres
import TestSupport
import Testing

/// Web sessions (`orderdesk.sessions` kind `web`) against a real PostgreSQL, as the app role.
@Suite(.serialized) struct WebSessionStoreTests {
    static let ann = try! MemberEmail("ann@example.com")

    @Test func aSessionIsFoundUntilItEnds() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = WebSessionStore(database: fixture.database)
            let id = try await store.create(tenantID: alpha, email: Self.ann)
            #expect(id.utf8.count == 43)
            let session = try #require(try await store.find(id))
            #expect(session.tenantID == alpha)
            #expect(session.tenantName == "Alpha")
            #expect(session.email == Self.ann)
            #expect(session.csrfSecret.count == 32)
            #expect(session.expiresAt > Date().addingTimeInterval(28_700))
            #expect(session.expiresAt < Date().addingTimeInterval(28_900))
            #expect(try await store.find(id)?.csrfSecret == session.csrfSecret)  // stable for the session

            let other = try await store.create(tenantID: alpha, email: Self.ann)
            #expect(other != id)
            #expect(try await store.find(other)?.csrfSecret != session.csrfSecret)

            try await store.end(id)
            #expect(try await store.find(id) == nil)
            #expect(try await store.find(other) != nil)  // only that one ended
            try await store.end(id)  // ending twice is harmless
        }
    }

    @Test func unknownMalformedAndExpiredIDsFindNothing() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = WebSessionStore(database: fixture.database, ttl: .milliseconds(300))
            let id = try await store.create(tenantID: alpha, email: Self.ann)
            for bad in ["", "abc", id + "A", String(repeating: "A", count: 43)] {
                #expect(try await store.find(bad) == nil, "\(bad)")
            }
            #expect(try await store.find(id) != nil)
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await store.find(id) == nil)
        }
    }

    @Test func aDisabledTenantsSessionsFindNothingAndNoneCanStart() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = WebSessionStore(database: fixture.database)
            let id = try await store.create(tenantID: alpha, email: Self.ann)
            #expect(try await fixture.keys.disableTenant(tenantID: alpha))
            #expect(try await store.find(id) == nil)
            let refused = await caught(WebSessionStore.TenantUnavailable.self) {
                try await store.create(tenantID: alpha, email: Self.ann)
            }
            #expect(refused != nil)
            let unknown = await caught(WebSessionStore.TenantUnavailable.self) {
                try await store.create(tenantID: UUID(), email: Self.ann)
            }
            #expect(unknown != nil)
        }
    }

    @Test func aRevokedSessionFindsNothing() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = WebSessionStore(database: fixture.database)
            let id = try await store.create(tenantID: alpha, email: Self.ann)
            try await fixture.database.withTenantTransaction(alpha) { tx in
                try tx.execute("UPDATE orderdesk.sessions SET revoked_at = now() WHERE kind = 'web'")
            }
            #expect(try await store.find(id) == nil)
        }
    }

    @Test func aSessionFindsNothingOnceItsMemberIsNoLongerAMember() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com", "bob@example.com"])
            let store = WebSessionStore(database: fixture.database)
            let ann = try await store.create(tenantID: alpha, email: Self.ann)
            let bob = try await store.create(tenantID: alpha, email: try MemberEmail("bob@example.com"))
            // The member row alone goes (the session row stays): find checks membership itself.
            let deleted = try await fixture.database.withTenantTransaction(alpha) { tx in
                try tx.execute("DELETE FROM orderdesk.tenant_members WHERE email = 'ann@example.com'")
            }
            #expect(deleted == 1)
            #expect(try await store.find(ann) == nil)
            #expect(try await store.find(bob)?.email.address == "bob@example.com")
            // Added back, the session (still live) is found again: nothing else ended it.
            _ = try await TenantMembers(database: fixture.database).addMember(tenantID: alpha, email: "ann@example.com")
            #expect(try await store.find(ann)?.email == Self.ann)
        }
    }

    @Test func webAndMCPSessionIDsAreNeverTakenForEachOther() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let web = WebSessionStore(database: fixture.database)
            let mcp = SessionStore(database: fixture.database)
            let webID = try await web.create(tenantID: alpha, email: Self.ann)
            let mcpSession = try await mcp.create(tenantID: alpha, protocolVersion: "2025-06-18", clientInfo: nil)

            // The MCP store refuses a web session id, whichever way it is asked.
            #expect(try await mcp.find(id: webID) == nil)
            #expect(try await mcp.find(id: webID, expectedTenant: alpha) == nil)
            let bind = await caught(SessionError.self) { try await mcp.bind(id: webID, to: alpha) }
            #expect(bind != nil)
            #expect(try await mcp.end(id: webID, tenantID: alpha) == false)
            #expect(try await web.find(webID) != nil)  // still there

            // The web store refuses an MCP session id.
            #expect(try await web.find(mcpSession.id) == nil)
            try await web.end(mcpSession.id)
            #expect(try await mcp.find(id: mcpSession.id) != nil)  // not ended

            // An unbound MCP session neither.
            let unbound = try await mcp.create(tenantID: nil, protocolVersion: "2025-06-18", clientInfo: nil)
            #expect(try await web.find(unbound.id) == nil)
        }
    }

    @Test func onlyTheIDsHashIsStoredWithTheMembersAddress() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = WebSessionStore(database: fixture.database)
            let id = try await store.create(tenantID: alpha, email: Self.ann)
            let rows = try await fixture.asSuperuser { tx in
                try tx.query(
                    """
                    SELECT row_to_json(s)::text AS row, member_email,
                           id_hash = sha256(convert_to(\(id), 'UTF8')) AS hashed
                    FROM orderdesk.sessions AS s
                    """
                ).map {
                    (
                        try $0.decode(String.self, "row"), try $0.decode(String?.self, "member_email"),
                        try $0.decode(Bool.self, "hashed")
                    )
                }
            }
            #expect(rows.count == 1)
            #expect(!rows[0].0.contains(id))
            #expect(rows[0].1 == "ann@example.com")
            #expect(rows[0].2)
        }
    }

    @Test func theSchemaKeepsMemberAddressesToWebSessions() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.createTenant().tenantID
            let statements: [PostgresQuery] = [
                // a web session without a member, an MCP session with one, a member not normalized
                "INSERT INTO orderdesk.sessions (id_hash, kind, tenant_id, expires_at) VALUES (\(SecureRandom.bytes(32)), 'web', \(alpha), now() + interval '1 hour')",
                "INSERT INTO orderdesk.sessions (id_hash, kind, tenant_id, member_email, expires_at) VALUES (\(SecureRandom.bytes(32)), 'mcp', \(alpha), 'ann@example.com', now() + interval '1 hour')",
                "INSERT INTO orderdesk.sessions (id_hash, kind, tenant_id, member_email, expires_at) VALUES (\(SecureRandom.bytes(32)), 'web', \(alpha), 'Ann@example.com', now() + interval '1 hour')",
            ]
            for statement in statements {
                let error = await caught(PostgresError.self) {
                    try await fixture.database.withTenantTransaction(alpha) { tx in try tx.execute(statement) }
                }
                #expect(error?.sqlState == "23514")
            }
        }
    }

    @Test func aTenantSeesNeitherAnotherTenantsWebSessionsNorCanEndThem() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let bravo = try await fixture.tenantWithMembers("Bravo", ["bob@example.com"])
            let store = WebSessionStore(database: fixture.database)
            _ = try await store.create(tenantID: alpha, email: Self.ann)
            let bobs = try await store.create(tenantID: bravo, email: try MemberEmail("bob@example.com"))
            let seen = try await fixture.database.withTenantTransaction(alpha) { tx in
                (
                    try tx.query("SELECT count(*) AS n FROM orderdesk.sessions WHERE kind = 'web'")[0].decode(Int.self, "n"),
                    try tx.execute("DELETE FROM orderdesk.sessions WHERE tenant_id = \(bravo)")
                )
            }
            #expect(seen.0 == 1 && seen.1 == 0)
            #expect(try await store.find(bobs)?.tenantID == bravo)
        }
    }
}
