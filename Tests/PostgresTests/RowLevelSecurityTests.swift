import Cryptography
import Foundation
import JSON
import Postgres
import TestSupport
import Testing

/// Tenant isolation, checked as `orderdesk_app` (a superuser would pass every check vacuously).
@Suite(.serialized) struct RowLevelSecurityTests {
    func withFixture(_ body: (TenantFixture, Database) async throws -> Void) async throws {
        let fixture = try await TenantFixture.make()
        let database = fixture.scratch.appDatabase(poolSize: 1)
        do {
            try await body(fixture, database)
        } catch {
            await database.shutdown()
            try await fixture.drop()
            throw error
        }
        await database.shutdown()
        try await fixture.drop()
    }

    static func tables(_ database: Database) async throws -> [String] {
        try await database.withUnscopedTransaction { tx in
            try tx.query(TenantFixture.tenantTablesQuery).map { try $0.decode(String.self, "qualified") }
        }
    }

    @Test func catalogLintFindsNoUnprotectedTableViewOrRole() async throws {
        try await withFixture { _, database in
            // scripts/rls-lint.sql: RLS enabled+forced with app policies, security_invoker views, role
            // attributes, ownership, grants, SECURITY DEFINER search_path, tenant_id indexes, composite FKs.
            let lint = try String(
                contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("scripts/rls-lint.sql"), encoding: .utf8)
            let problems = try await database.withUnscopedTransaction { tx in
                try tx.query(PostgresQuery(unsafeSQL: lint)).map {
                    "\(try $0.decode(String.self, "lint")): \(try $0.decode(String.self, "detail"))"
                }
            }
            #expect(problems == [])
            // The lint covers the tables the design names (so an empty answer is not vacuous).
            let tables = try await Self.tables(database)
            #expect(tables.count >= 9, "\(tables)")
        }
    }

    @Test func withNoTenantSetEveryTenantTableReadsZeroRows() async throws {
        try await withFixture { fixture, database in
            for table in try await Self.tables(database) {
                let count = try await database.withUnscopedTransaction { tx in
                    try tx.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)"))[0].decode(Int.self, "n")
                }
                #expect(count == 0, "\(table) shows \(count) rows with no tenant set")
                let own = try await database.withTenantTransaction(fixture.a.id) { tx in
                    try tx.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)"))[0].decode(Int.self, "n")
                }
                // The fixture gives each tenant one row per table, and two sessions (an MCP and a web one).
                #expect(own == (table.hasSuffix(".sessions") ? 2 : 1), "\(table): tenant A should see exactly its own rows")
            }
        }
    }

    @Test func tenantANeverReadsUpdatesOrDeletesTenantBRows() async throws {
        try await withFixture { fixture, database in
            let b = fixture.b.id
            for table in try await Self.tables(database) {
                let column = table.hasSuffix(".tenants") ? "id" : "tenant_id"
                let visible = try await database.withTenantTransaction(fixture.a.id) { tx in
                    try tx.query(
                        PostgresQuery(
                            unsafeSQL: "SELECT count(*) AS n FROM \(table) WHERE \(column) = $1", binds: [b.postgresBind]))[0]
                        .decode(Int.self, "n")
                }
                #expect(visible == 0, "\(table): A sees B's rows")
            }
            let changed = try await database.withTenantTransaction(fixture.a.id) { tx in
                [
                    try tx.execute("UPDATE orderdesk.stores SET label = 'hijacked' WHERE tenant_id = \(b)"),
                    try tx.execute("DELETE FROM orderdesk.stores WHERE tenant_id = \(b)"),
                    try tx.execute("UPDATE orderdesk.master_key_metadata SET revoked_at = now() WHERE tenant_id = \(b)"),
                    try tx.execute("UPDATE orderdesk.tenants SET status = 'disabled' WHERE id = \(b)"),
                    try tx.execute("DELETE FROM orderdesk.sessions WHERE tenant_id = \(b)"),
                    try tx.execute("DELETE FROM orderdesk.cache_entries WHERE tenant_id = \(b)"),
                    try tx.execute("UPDATE orderdesk.rate_limit_buckets SET tokens = 0 WHERE tenant_id = \(b)"),
                    try tx.execute("UPDATE orderdesk.magic_links SET used_at = now() WHERE tenant_id = \(b)"),
                ]
            }
            #expect(changed == [0, 0, 0, 0, 0, 0, 0, 0])
            let bStillIntact = try await database.withTenantTransaction(b) { tx in
                try tx.query("SELECT label, (SELECT count(*) FROM orderdesk.sessions) AS sessions FROM orderdesk.stores")
            }
            #expect(bStillIntact.count == 1)
            #expect(try bStillIntact[0].decode(String?.self, "label") == nil)
            #expect(try bStillIntact[0].decode(Int.self, "sessions") == 2)  // an MCP and a web session
        }
    }

    @Test func tenantACannotInsertRowsForTenantB() async throws {
        try await withFixture { fixture, database in
            let b = fixture.b.id
            let inserts: [PostgresQuery] = [
                """
                INSERT INTO orderdesk.stores (tenant_id, store_id, name, api_key_ciphertext, api_key_tag, api_key_nonce)
                VALUES (\(b), '999', 'planted', \([UInt8](repeating: 1, count: 8)), \([UInt8](repeating: 1, count: 16)),
                        \([UInt8](repeating: 1, count: 12)))
                """,
                "INSERT INTO orderdesk.audit_log (tenant_id, correlation_id, action, outcome) VALUES (\(b), 'x', 'forged', 'ok')",
                "INSERT INTO orderdesk.rate_limit_buckets (tenant_id, bucket, tokens, updated_at) VALUES (\(b), 'x', 1, now())",
                "UPDATE orderdesk.stores SET name = name WHERE false",  // control: a harmless statement succeeds
            ]
            for (index, insert) in inserts.enumerated() {
                if index == inserts.count - 1 {
                    _ = try await database.withTenantTransaction(fixture.a.id) { tx in try tx.execute(insert) }
                    continue
                }
                let error = await #expect(throws: PostgresError.self) {
                    try await database.withTenantTransaction(fixture.a.id) { tx in try tx.execute(insert) }
                }
                #expect(error?.sqlState == "42501", "insert \(index)")
            }
            // Moving one's own row to another tenant is refused too.
            let moved = await #expect(throws: PostgresError.self) {
                try await database.withTenantTransaction(fixture.a.id) { tx in
                    try tx.execute("UPDATE orderdesk.rate_limit_buckets SET tenant_id = \(b)")
                }
            }
            #expect(moved?.sqlState == "42501")
        }
    }

    @Test func theAuditWritersBatchFlagOpensNothingToTheApp() async throws {
        try await withFixture { fixture, database in
            // A batch in the app's transaction writes and turns the flag off again before it returns.
            let (written, flag) = try await database.withTenantTransaction(fixture.a.id) { tx in
                let row: JSONValue = [
                    "tenant_id": .string(fixture.a.id.uuidString.lowercased()), "correlation_id": "batch",
                    "action": "orders_get", "outcome": "ok", "params": [:],
                ]
                let written = try tx.query("SELECT orderdesk.append_audit(\(JSONValue.array([row]))) AS n")[0]
                    .decode(Int.self, "n")
                let flag = try tx.query("SELECT coalesce(current_setting('app.audit_batch', true), '') AS f")[0]
                    .decode(String.self, "f")
                return (written, flag)
            }
            #expect(written == 1)
            #expect(flag == "")
            // The flag admits only the owner's INSERT inside append_audit (policy audit_log_writer_batch
            // is for orderdesk_owner): set by the app itself, for its transaction or its session, it
            // does not let the app's own INSERT write another tenant's row.
            for setting in [
                "SELECT pg_catalog.set_config('app.audit_batch', 'on', true)", "SET app.audit_batch = 'on'",
            ] {
                let forged = await #expect(throws: PostgresError.self) {
                    try await database.withTenantTransaction(fixture.a.id) { tx in
                        try tx.execute(PostgresQuery(unsafeSQL: setting))
                        try tx.execute(
                            "INSERT INTO orderdesk.audit_log (tenant_id, correlation_id, action, outcome) VALUES (\(fixture.b.id), 'x', 'forged', 'ok')"
                        )
                    }
                }
                #expect(forged?.sqlState == "42501", "\(setting)")
                #expect(forged?.serverMessage?.contains("row-level security policy for table \"audit_log\"") == true)
            }
        }
    }

    @Test func catalogLintFindsAnotherWayForTheOwnerToInsertAuditRows() async throws {
        try await withFixture { fixture, database in
            // L13 keeps the writer-batch flag honest: no owner INSERT policy on audit_log but the two
            // it names, no function but append_audit inserting there. Plant one of each as the owner.
            _ = try await fixture.scratch.asOwner { tx in
                try tx.execute("SET LOCAL ROLE orderdesk_owner")
                try tx.execute(
                    """
                    CREATE FUNCTION orderdesk.planted_audit() RETURNS void LANGUAGE sql SECURITY DEFINER
                    SET search_path = '' AS $$ INSERT  INTO orderdesk.audit_log (correlation_id, action, outcome)
                    VALUES ('x', 'planted', 'ok') $$
                    """)
                try tx.execute(
                    "CREATE POLICY planted ON orderdesk.audit_log FOR ALL TO orderdesk_owner USING (true)")
                try tx.execute("REVOKE ALL ON FUNCTION orderdesk.planted_audit() FROM PUBLIC")
            }
            let lint = try String(
                contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("scripts/rls-lint.sql"), encoding: .utf8)
            let problems = try await database.withUnscopedTransaction { tx in
                try tx.query(PostgresQuery(unsafeSQL: lint)).map {
                    "\(try $0.decode(String.self, "lint")): \(try $0.decode(String.self, "detail"))"
                }
            }
            #expect(
                problems.sorted() == [
                    "L13 audit insert: function orderdesk.planted_audit()", "L13 audit insert: policy planted",
                ])
        }
    }

    @Test func compositeForeignKeysRejectReferencesToAnotherTenantsStore() async throws {
        try await withFixture { fixture, database in
            let error = await #expect(throws: PostgresError.self) {
                try await database.withTenantTransaction(fixture.a.id) { tx in
                    try tx.execute(
                        """
                        INSERT INTO orderdesk.cache_entries (tenant_id, store_id, scope, key, value, expires_at)
                        VALUES (\(fixture.a.id), \(fixture.b.storeRowID), 'order', 'k', '{}', now() + interval '1 minute')
                        """)
                }
            }
            #expect(error?.sqlState == "23503")
        }
    }

    @Test func poolOfOneAlternatingTenantsNeverLeaksATenant() async throws {
        try await withFixture { fixture, database in
            struct Planned: Error {}
            for round in 0..<10 {
                for tenant in [fixture.a.id, fixture.b.id] {
                    let seen = try await database.withTenantTransaction(tenant) { tx in
                        try tx.query("SELECT id FROM orderdesk.tenants").map { try $0.decode(UUID.self, "id") }
                    }
                    #expect(seen == [tenant])
                }
                // A transaction that fails midway (SQL error on even rounds, Swift error on odd ones)...
                await #expect(throws: (any Error).self) {
                    try await database.withTenantTransaction(fixture.a.id) { tx in
                        if round % 2 == 0 { try tx.execute("SELECT 1/0") } else { throw Planned() }
                    }
                }
                // ...leaves nothing behind on the single pooled connection.
                let leaked = try await database.withUnscopedTransaction { tx in
                    try tx.query(
                        """
                        SELECT (SELECT count(*) FROM orderdesk.tenants) AS tenants,
                               coalesce(current_setting('app.tenant_id', true), '') AS setting
                        """)[0]
                }
                #expect(try leaked.decode(Int.self, "tenants") == 0)
                #expect(try leaked.decode(String.self, "setting") == "")
            }
        }
    }

    @Test func appRoleCannotUpdateDeleteOrTruncateTheAuditLog() async throws {
        try await withFixture { fixture, database in
            for statement in [
                "UPDATE orderdesk.audit_log SET outcome = 'ok'", "DELETE FROM orderdesk.audit_log",
                "TRUNCATE orderdesk.audit_log",
            ] {
                let error = await #expect(throws: PostgresError.self) {
                    try await database.withTenantTransaction(fixture.a.id) { tx in
                        try tx.execute(PostgresQuery(unsafeSQL: statement))
                    }
                }
                #expect(error?.sqlState == "42501", "\(statement)")
            }
            let rows = try await database.withTenantTransaction(fixture.a.id) { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.audit_log")[0].decode(Int.self, "n")
            }
            #expect(rows == 1)
        }
    }

    @Test func keyLookupWorksBeforeTheTenantIsKnownAndReturnsOnlyThatKey() async throws {
        try await withFixture { fixture, database in
            let found = try await database.withUnscopedTransaction { tx in
                try tx.query(
                    "SELECT tenant_id, revoked, tenant_active FROM orderdesk.lookup_master_key_v2(\(fixture.a.fingerprint))")
            }
            #expect(found.count == 1)
            #expect(try found[0].decode(UUID.self, "tenant_id") == fixture.a.id)
            #expect(try found[0].decode(Bool.self, "revoked") == false)
            let unknown = try await database.withUnscopedTransaction { tx in
                try tx.query("SELECT * FROM orderdesk.lookup_master_key_v2(\([UInt8](repeating: 7, count: 32)))")
            }
            #expect(unknown.isEmpty)
            let direct = try await database.withUnscopedTransaction { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.master_key_metadata")[0].decode(Int.self, "n")
            }
            #expect(direct == 0)
        }
    }

    /// Replicas of the version before 0015 call `lookup_master_key`, which knows no store limit:
    /// during a rolling deploy it must not return a limited key at all (fail closed), while
    /// `lookup_master_key_v2` returns it with its limit.
    @Test func thePreviousKeyLookupNeverReturnsAStoreLimitedKey() async throws {
        try await withFixture { fixture, database in
            let limited = SecureRandom.bytes(32)
            try await database.withTenantTransaction(fixture.a.id) { tx in
                try tx.execute(
                    """
                    INSERT INTO orderdesk.master_key_metadata (tenant_id, fingerprint, key_hash, prefix, store_ids)
                    VALUES (\(fixture.a.id), \(limited), '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 'odmk_lim',
                            ARRAY['10001'])
                    """)
            }
            let (old, current, unlimited) = try await database.withUnscopedTransaction { tx in
                (
                    try tx.query("SELECT * FROM orderdesk.lookup_master_key(\(limited))").count,
                    try tx.query("SELECT store_ids FROM orderdesk.lookup_master_key_v2(\(limited))").first?
                        .decode(PostgresTextArray?.self, "store_ids")?.elements,
                    try tx.query("SELECT * FROM orderdesk.lookup_master_key(\(fixture.a.fingerprint))").count
                )
            }
            #expect(old == 0)
            #expect(current == .some(["10001"]))
            #expect(unlimited == 1)
        }
    }

    @Test func tenantANeitherSeesNorChangesTenantBMembers() async throws {
        try await withFixture { fixture, database in
            let b = fixture.b.id
            // Both tenants have owner@example.com; A sees only its own row of it.
            let (visible, deleted) = try await database.withTenantTransaction(fixture.a.id) { tx in
                (
                    try tx.query("SELECT tenant_id FROM orderdesk.tenant_members WHERE email = 'owner@example.com'")
                        .map { try $0.decode(UUID.self, "tenant_id") },
                    try tx.execute("DELETE FROM orderdesk.tenant_members WHERE tenant_id = \(b)")
                )
            }
            #expect(visible == [fixture.a.id])
            #expect(deleted == 0)
            let planted = await #expect(throws: PostgresError.self) {
                try await database.withTenantTransaction(fixture.a.id) { tx in
                    try tx.execute("INSERT INTO orderdesk.tenant_members (tenant_id, email) VALUES (\(b), 'mallory@example.com')")
                }
            }
            #expect(planted?.sqlState == "42501")
            let bMembers = try await database.withTenantTransaction(b) { tx in
                try tx.query("SELECT email FROM orderdesk.tenant_members").map { try $0.decode(String.self, "email") }
            }
            #expect(bMembers == ["owner@example.com"])
        }
    }

    @Test func memberStorageRefusesAddressesThatAreNotNormalized() async throws {
        try await withFixture { fixture, database in
            // The app normalizes (MemberEmail); the CHECK stops a write that skipped it.
            for email in [
                "Owner@example.com", "a b@example.com", "a\r\n@example.com", "a@b@example.com", "@example.com",
                "é@example.com", String(repeating: "a", count: 65) + "@example.com",
                "a@" + String(repeating: "b", count: 253),
            ] {
                let error = await #expect(throws: PostgresError.self) {
                    try await database.withTenantTransaction(fixture.a.id) { tx in
                        try tx.execute(
                            "INSERT INTO orderdesk.tenant_members (tenant_id, email) VALUES (\(fixture.a.id), \(email))")
                    }
                }
                #expect(error?.sqlState == "23514", "\(email.debugDescription)")
            }
            // Control: the longest address the rule allows is stored.
            let longest = "a@" + String(repeating: "b", count: 252)
            let stored = try await database.withTenantTransaction(fixture.a.id) { tx in
                try tx.execute("INSERT INTO orderdesk.tenant_members (tenant_id, email) VALUES (\(fixture.a.id), \(longest))")
            }
            #expect(stored == 1)
        }
    }

    @Test func memberLookupWorksBeforeTheTenantIsKnownAndReturnsOnlyActiveTenants() async throws {
        try await withFixture { fixture, database in
            func lookup(_ email: String) async throws -> [UUID] {
                try await database.withUnscopedTransaction { tx in
                    try tx.query("SELECT tenant_id, tenant_name FROM orderdesk.member_tenants(\(email))")
                        .map { try $0.decode(UUID.self, "tenant_id") }
                }
            }
            // Ordered by name: "Tenant A", "Tenant B".
            #expect(try await lookup("owner@example.com") == [fixture.a.id, fixture.b.id])
            #expect(try await lookup("nobody@example.com") == [])
            // Only the normalized spelling matches (the app normalizes before it asks).
            #expect(try await lookup("Owner@example.com") == [])
            // The rows themselves stay hidden with no tenant set.
            let direct = try await database.withUnscopedTransaction { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.tenant_members")[0].decode(Int.self, "n")
            }
            #expect(direct == 0)
            _ = try await database.withTenantTransaction(fixture.b.id) { tx in
                try tx.execute("UPDATE orderdesk.tenants SET status = 'disabled' WHERE id = \(fixture.b.id)")
            }
            #expect(try await lookup("owner@example.com") == [fixture.a.id])
        }
    }

    @Test func auditorReadsTheAuditViewsButNoTenantSecrets() async throws {
        try await withFixture { fixture, _ in
            let auditor = Database(configuration: DatabaseConfiguration(url: fixture.scratch.auditorURL, poolSize: 1))
            let events = try await auditor.withUnscopedTransaction { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.audit_events")[0].decode(Int.self, "n")
            }
            #expect(events == 2)
            let webhooks = try await auditor.withUnscopedTransaction { tx in
                try tx.query("SELECT count(*) AS n FROM orderdesk.webhook_deliveries")[0].decode(Int.self, "n")
            }
            #expect(webhooks == 2)  // one per tenant, seeded like the audit rows
            // Webhook payloads hold customers' names and addresses: not the auditor's to read.
            for query in [
                "SELECT * FROM orderdesk.stores", "SELECT * FROM orderdesk.master_key_metadata",
                "SELECT * FROM orderdesk.sessions", "SELECT payload FROM orderdesk.webhook_events",
                "SELECT * FROM orderdesk.webhook_events", "SELECT * FROM orderdesk.tenant_members",
                "SELECT * FROM orderdesk.member_tenants('owner@example.com')",
            ] {
                let error = await #expect(throws: PostgresError.self) {
                    try await auditor.withUnscopedTransaction { tx in try tx.query(PostgresQuery(unsafeSQL: query)) }
                }
                #expect(error?.sqlState == "42501", "\(query)")
            }
            await auditor.shutdown()
        }
    }
}
