import Cryptography
import Foundation
import JSON
import Postgres
import TestSupport

/// Two tenants, A and B, each with one row in every tenant table, written through the app role's
/// own tenant transactions (the path the server uses).
struct TenantFixture {
    struct Tenant {
        let id: UUID
        let storeRowID: UUID
        let fingerprint: [UInt8]
    }

    let scratch: ScratchDatabase
    let a: Tenant
    let b: Tenant

    static func make() async throws -> TenantFixture {
        let scratch = try await TestDatabase.createMigrated()
        let database = scratch.appDatabase(poolSize: 1)
        let a = try await seed(name: "Tenant A", storeID: "1001", database: database)
        let b = try await seed(name: "Tenant B", storeID: "2002", database: database)
        await database.shutdown()
        return TenantFixture(scratch: scratch, a: a, b: b)
    }

    private static func seed(name: String, storeID: String, database: Database) async throws -> Tenant {
        let tenant = UUID()
        let store = UUID()
        let fingerprint = SecureRandom.bytes(32)
        try await database.withTenantTransaction(tenant) { tx in
            try tx.execute(
                "INSERT INTO orderdesk.tenants (id, name, hkdf_salt) VALUES (\(tenant), \(name), \(SecureRandom.bytes(32)))")
            try tx.execute(
                """
                INSERT INTO orderdesk.master_key_metadata (tenant_id, fingerprint, key_hash, prefix)
                VALUES (\(tenant), \(fingerprint), '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 'odmk_abc')
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.stores (id, tenant_id, store_id, name, api_key_ciphertext, api_key_tag, api_key_nonce)
                VALUES (\(store), \(tenant), \(storeID), \(name + " store"), \(SecureRandom.bytes(40)),
                        \(SecureRandom.bytes(16)), \(SecureRandom.bytes(12)))
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.sessions (id_hash, kind, tenant_id, active_store_id, expires_at)
                VALUES (\(SecureRandom.bytes(32)), 'mcp', \(tenant), \(store), now() + interval '1 hour')
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.magic_links (token_hash, tenant_id, email, expires_at, binding_hash)
                VALUES (\(SecureRandom.bytes(32)), \(tenant), 'owner@example.com', now() + interval '1 hour',
                        \(SecureRandom.bytes(32)))
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.sessions (id_hash, kind, tenant_id, member_email, expires_at)
                VALUES (\(SecureRandom.bytes(32)), 'web', \(tenant), 'owner@example.com', now() + interval '1 hour')
                """)
            try tx.execute("INSERT INTO orderdesk.tenant_members (tenant_id, email) VALUES (\(tenant), 'owner@example.com')")
            let grant = UUID()
            try tx.execute(
                """
                INSERT INTO orderdesk.oauth_grants (id, tenant_id, client_id, client_name, member_email, scopes, resource)
                VALUES (\(grant), \(tenant), 'odc_AAAAAAAAAAAAAAAAAAAAAA', 'Client', 'owner@example.com',
                        '{orders:read}', 'http://127.0.0.1:8080/mcp')
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.oauth_codes (code_hash, tenant_id, grant_id, redirect_uri, code_challenge, resource,
                                                   expires_at)
                VALUES (\(SecureRandom.bytes(32)), \(tenant), \(grant), 'http://127.0.0.1:9/cb',
                        'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'http://127.0.0.1:8080/mcp', now() + interval '1 minute')
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.oauth_tokens (token_hash, tenant_id, grant_id, kind, expires_at)
                VALUES (\(SecureRandom.bytes(32)), \(tenant), \(grant), 'access', now() + interval '10 minutes')
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.cache_entries (tenant_id, store_id, scope, key, value, expires_at)
                VALUES (\(tenant), \(store), 'order', 'order:1', \(["id": 1] as JSONValue), now() + interval '15 seconds')
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.rate_limit_buckets (tenant_id, bucket, tokens, updated_at)
                VALUES (\(tenant), 'tenant', 10, now())
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.webhook_events (tenant_id, store_id, dedup_key, order_id, payload)
                VALUES (\(tenant), \(storeID), \(SecureRandom.bytes(32)), '1', \(["id": 1] as JSONValue))
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.order_idempotency_keys
                    (tenant_id, store_id, key_hash, request_hash, status, attempt_id, lease_until, expires_at)
                VALUES (\(tenant), \(store), \(SecureRandom.bytes(32)), \(SecureRandom.bytes(32)), 'pending', \(UUID()),
                        now() + interval '1 minute', now() + interval '1 day')
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.order_update_leases (tenant_id, store_id, order_id, holder, acquired_at, expires_at)
                VALUES (\(tenant), \(store), '1', \(UUID()), now(), now() + interval '1 minute')
                """)
            try tx.execute(
                """
                INSERT INTO orderdesk.audit_log (tenant_id, correlation_id, action, outcome, target)
                VALUES (\(tenant), 'corr-1', 'orders_get', 'ok', '1')
                """)
        }
        return Tenant(id: tenant, storeRowID: store, fingerprint: fingerprint)
    }

    /// `schema.table` of every table that holds tenant data (has `tenant_id`, or is `tenants`).
    static let tenantTablesQuery: PostgresQuery = """
        SELECT format('%I.%I', n.nspname, c.relname) AS qualified, c.relname AS name
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'orderdesk' AND c.relkind IN ('r', 'p')
          AND NOT c.relispartition -- reached only through the parent (audit_log's months, lint L12)
          AND (c.relname = 'tenants' OR EXISTS (
                SELECT 1 FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
        ORDER BY 1
        """

    func drop() async throws { try await scratch.drop() }
}
