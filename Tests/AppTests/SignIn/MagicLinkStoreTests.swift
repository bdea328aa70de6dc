import App
import Cryptography
import Foundation
import Postgres
import TestSupport
import Testing

/// Magic links (`orderdesk.magic_links`) against a real PostgreSQL, as the app role.
@Suite(.serialized) struct MagicLinkStoreTests {
    static let ann = try! MemberEmail("Ann@Example.com")

    @Test func aMemberOfTwoTenantsGetsOneLinkPerTenantAndANonMemberNone() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let bravo = try await fixture.tenantWithMembers("Bravo", ["ANN@example.com", "bob@example.com"])
            _ = try await fixture.tenantWithMembers("Charlie", ["bob@example.com"])
            let store = MagicLinkStore(database: fixture.database)
            let binding = MagicLinkStore.newBinding()
            #expect(MagicLinkStore.isWellFormedBinding(binding))

            let links = try await store.issue(to: Self.ann, binding: binding)
            #expect(links.map(\.tenantID) == [alpha, bravo])
            #expect(links.map(\.tenantName) == ["Alpha", "Bravo"])
            #expect(links.allSatisfy { $0.token.utf8.count == 43 })
            #expect(Set(links.map(\.token)).count == 2)

            #expect(try await store.issue(to: try MemberEmail("nobody@example.com"), binding: binding).isEmpty)
            let stored = try await fixture.asSuperuser { tx in
                try tx.query("SELECT tenant_id, email, purpose, expires_at - created_at AS ttl FROM orderdesk.magic_links")
                    .map { (try $0.decode(UUID.self, "tenant_id"), try $0.decode(String.self, "email")) }
            }
            #expect(stored.count == 2)
            #expect(stored.allSatisfy { $0.1 == "ann@example.com" })
        }
    }

    @Test func aDisabledTenantGetsNoLinkAndItsLinksSignNobodyIn() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let bravo = try await fixture.tenantWithMembers("Bravo", ["ann@example.com"])
            let store = MagicLinkStore(database: fixture.database)
            let binding = MagicLinkStore.newBinding()
            let before = try await store.issue(to: Self.ann, binding: binding)
            #expect(before.count == 2)

            #expect(try await fixture.keys.disableTenant(tenantID: bravo))
            let after = try await store.issue(to: Self.ann, binding: binding)
            #expect(after.map(\.tenantID) == [alpha])
            let bravoLink = try #require(before.first { $0.tenantID == bravo })
            #expect(try await store.redeem(token: bravoLink.token, binding: binding) == .unknown)
        }
    }

    @Test func redeemingSignsInOnceThenTheLinkIsUsed() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = MagicLinkStore(database: fixture.database)
            let binding = MagicLinkStore.newBinding()
            let link = try #require(try await store.issue(to: Self.ann, binding: binding).first)
            #expect(try await store.redeem(token: link.token, binding: binding) == .signedIn(tenantID: alpha, email: Self.ann))
            #expect(try await store.redeem(token: link.token, binding: binding) == .alreadyUsed)
            #expect(try await fixture.magicLinksUsed() == [true])
        }
    }

    @Test func aWrongOrMissingBindingDoesNotUseTheLink() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = MagicLinkStore(database: fixture.database)
            let binding = MagicLinkStore.newBinding()
            let link = try #require(try await store.issue(to: Self.ann, binding: binding).first)
            for other in [nil, MagicLinkStore.newBinding(), "", "not-a-binding", binding + "A"] {
                #expect(try await store.redeem(token: link.token, binding: other) == .wrongBrowser, "\(other ?? "nil")")
            }
            #expect(try await fixture.magicLinksUsed() == [false])
            #expect(try await store.redeem(token: link.token, binding: binding) == .signedIn(tenantID: alpha, email: Self.ann))
            // Once used, every browser hears the same.
            #expect(try await store.redeem(token: link.token, binding: MagicLinkStore.newBinding()) == .alreadyUsed)
        }
    }

    @Test func anExpiredLinkIsExpiredAndNeverUsed() async throws {
        try await AppFixture.run { fixture in
            _ = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = MagicLinkStore(database: fixture.database, ttl: .milliseconds(300))
            let binding = MagicLinkStore.newBinding()
            let link = try #require(try await store.issue(to: Self.ann, binding: binding).first)
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await store.redeem(token: link.token, binding: binding) == .expired)
            #expect(try await store.redeem(token: link.token, binding: nil) == .expired)
            #expect(try await fixture.magicLinksUsed() == [false])
        }
    }

    @Test func unknownAndMalformedTokensAreUnknown() async throws {
        try await AppFixture.run { fixture in
            _ = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = MagicLinkStore(database: fixture.database)
            let binding = MagicLinkStore.newBinding()
            let link = try #require(try await store.issue(to: Self.ann, binding: binding).first)
            for token in ["", "x", MagicLinkStore.newBinding(), link.token + "A", String(link.token.dropLast()) + "="] {
                #expect(try await store.redeem(token: token, binding: binding) == .unknown, "\(token)")
            }
            let malformed = await caught(MagicLinkStore.MalformedBinding.self) {
                try await store.issue(to: Self.ann, binding: "short")
            }
            #expect(malformed != nil)
        }
    }

    @Test func aRemovedMemberCannotRedeemAnEarlierLink() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = MagicLinkStore(database: fixture.database)
            let binding = MagicLinkStore.newBinding()
            let link = try #require(try await store.issue(to: Self.ann, binding: binding).first)
            #expect(
                try await TenantMembers(database: fixture.database).removeMember(tenantID: alpha, email: "ann@example.com")
                    .removed)
            #expect(try await store.redeem(token: link.token, binding: binding) == .unknown)
            #expect(try await fixture.magicLinksUsed() == [false])
        }
    }

    @Test func concurrentRedemptionsHaveExactlyOneWinner() async throws {
        try await AppFixture.run(poolSize: 8) { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let store = MagicLinkStore(database: fixture.database)
            let binding = MagicLinkStore.newBinding()
            let link = try #require(try await store.issue(to: Self.ann, binding: binding).first)
            let outcomes = try await withThrowingTaskGroup(of: MagicLinkRedemption.self) { group in
                for _ in 0..<8 { group.addTask { try await store.redeem(token: link.token, binding: binding) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .signedIn(tenantID: alpha, email: Self.ann) }.count == 1)
            #expect(outcomes.filter { $0 == .alreadyUsed }.count == 7)
            let usedAt = try await fixture.asSuperuser { tx in
                try tx.query("SELECT count(used_at) AS n FROM orderdesk.magic_links")[0].decode(Int.self, "n")
            }
            #expect(usedAt == 1)
        }
    }

    @Test func onlyHashesOfTokensAndBindingsAreStored() async throws {
        try await AppFixture.run { fixture in
            _ = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            _ = try await fixture.tenantWithMembers("Bravo", ["ann@example.com"])
            let store = MagicLinkStore(database: fixture.database)
            let binding = MagicLinkStore.newBinding()
            let links = try await store.issue(to: Self.ann, binding: binding)
            let rows = try await fixture.asSuperuser { tx in
                try tx.query(
                    """
                    SELECT row_to_json(l)::text AS row, encode(token_hash, 'hex') AS token_hash,
                           binding_hash = sha256(convert_to(\(binding), 'UTF8')) AS bound
                    FROM orderdesk.magic_links AS l
                    """
                ).map {
                    (
                        try $0.decode(String.self, "row"), try $0.decode(String.self, "token_hash"),
                        try $0.decode(Bool.self, "bound")
                    )
                }
            }
            #expect(rows.count == 2)
            for row in rows {
                #expect(!row.0.contains(binding))
                #expect(links.allSatisfy { !row.0.contains($0.token) })
                #expect(row.2)
            }
            let expected = Set(links.map { SHA256.hexDigest($0.token) })
            #expect(Set(rows.map(\.1)) == expected)
        }
    }

    @Test func aTenantSeesNeitherAnotherTenantsLinksNorCanUseThem() async throws {
        try await AppFixture.run { fixture in
            let alpha = try await fixture.tenantWithMembers("Alpha", ["ann@example.com"])
            let bravo = try await fixture.tenantWithMembers("Bravo", ["bob@example.com"])
            let store = MagicLinkStore(database: fixture.database)
            _ = try await store.issue(to: Self.ann, binding: MagicLinkStore.newBinding())
            _ = try await store.issue(to: try MemberEmail("bob@example.com"), binding: MagicLinkStore.newBinding())
            let seen = try await fixture.database.withTenantTransaction(alpha) { tx in
                (
                    try tx.query("SELECT count(*) AS n FROM orderdesk.magic_links")[0].decode(Int.self, "n"),
                    try tx.query("SELECT count(*) AS n FROM orderdesk.magic_links WHERE tenant_id = \(bravo)")[0].decode(
                        Int.self, "n"),
                    try tx.execute("UPDATE orderdesk.magic_links SET used_at = now() WHERE tenant_id = \(bravo)")
                )
            }
            #expect(seen.0 == 1 && seen.1 == 0 && seen.2 == 0)
            // With no tenant set, the app sees no link at all; the lookup returns no address or binding.
            let unscoped = try await fixture.database.withUnscopedTransaction { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.magic_links")[0].decode(Int.self, "n")
            }
            #expect(unscoped == 0)
            #expect(try await fixture.magicLinksUsed() == [false, false])
        }
    }
}
