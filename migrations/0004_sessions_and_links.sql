-- 0004: MCP/web sessions (shared by all replicas) and magic links for web login.
SET LOCAL ROLE orderdesk_owner;

CREATE TABLE orderdesk.sessions (
    id_hash           bytea       PRIMARY KEY CHECK (pg_catalog.octet_length(id_hash) = 32),
    kind              text        NOT NULL CHECK (kind IN ('mcp', 'web')),
    tenant_id         uuid        REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    active_store_id   uuid,
    protocol_version  text,
    client_info       jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_seen_at      timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    revoked_at        timestamptz,
    -- Only an MCP session may exist before it is authenticated (tenant_use_master_key binds it later).
    CONSTRAINT sessions_unbound_only_mcp CHECK (tenant_id IS NOT NULL OR kind = 'mcp'),
    -- The composite FK below is MATCH SIMPLE: with tenant_id NULL it would check nothing.
    CONSTRAINT sessions_active_store_needs_tenant CHECK (active_store_id IS NULL OR tenant_id IS NOT NULL),
    CONSTRAINT sessions_expiry_after_creation CHECK (expires_at > created_at),
    CONSTRAINT sessions_active_store_fkey FOREIGN KEY (tenant_id, active_store_id)
        REFERENCES orderdesk.stores (tenant_id, id) ON DELETE SET NULL (active_store_id)
);

-- Leads with tenant_id (policies, tenant deletion) and serves the store FK's ON DELETE SET NULL.
CREATE INDEX sessions_tenant_id_active_store_id_idx ON orderdesk.sessions (tenant_id, active_store_id);
CREATE INDEX sessions_expires_at_idx ON orderdesk.sessions (expires_at);

COMMENT ON TABLE orderdesk.sessions IS
    'MCP (Mcp-Session-Id) and web sessions. Any replica serves any session, so all session state is here.';
COMMENT ON COLUMN orderdesk.sessions.id_hash IS
    'SHA-256 of the 256-bit session id. The id itself is never stored.';
COMMENT ON COLUMN orderdesk.sessions.tenant_id IS
    'NULL only for an MCP session that has not authenticated yet; once set it never changes (bound for life).';
COMMENT ON COLUMN orderdesk.sessions.active_store_id IS
    'The store chosen with stores_use_store (stores.id of the same tenant); cleared if that store is deleted.';
COMMENT ON COLUMN orderdesk.sessions.protocol_version IS 'MCP protocol revision negotiated in initialize.';
COMMENT ON COLUMN orderdesk.sessions.client_info IS 'clientInfo from initialize (name, version), for support and audit.';
COMMENT ON COLUMN orderdesk.sessions.expires_at IS
    'Idle expiry: the server pushes it forward on use; sweep_expired() deletes rows past it.';

ALTER TABLE orderdesk.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.sessions FORCE ROW LEVEL SECURITY;

-- Bound sessions are visible only to their tenant. Unbound sessions (tenant_id NULL) carry no
-- tenant data and are visible with or without a tenant set, so that:
--   * with no tenant set, the app can create, read and touch an unbound session;
--   * with tenant T set, tenant_use_master_key can bind one in a single statement:
--       UPDATE orderdesk.sessions SET tenant_id = $T WHERE id_hash = $1 AND tenant_id IS NULL
-- Every write must leave the row unbound-with-no-tenant or bound-to-the-current-tenant, so a
-- session can never be moved to another tenant nor bound without a tenant set.
CREATE POLICY sessions_app_select ON orderdesk.sessions
    AS PERMISSIVE FOR SELECT TO orderdesk_app
    USING (tenant_id IS NULL OR tenant_id = orderdesk.current_tenant_id());

CREATE POLICY sessions_app_insert ON orderdesk.sessions
    AS PERMISSIVE FOR INSERT TO orderdesk_app
    WITH CHECK (tenant_id IS NOT DISTINCT FROM orderdesk.current_tenant_id());

CREATE POLICY sessions_app_update ON orderdesk.sessions
    AS PERMISSIVE FOR UPDATE TO orderdesk_app
    USING (tenant_id IS NULL OR tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id IS NOT DISTINCT FROM orderdesk.current_tenant_id());

CREATE POLICY sessions_app_delete ON orderdesk.sessions
    AS PERMISSIVE FOR DELETE TO orderdesk_app
    USING (tenant_id IS NOT DISTINCT FROM orderdesk.current_tenant_id());

-- For lookup_session() (a request that carries only Mcp-Session-Id must learn its tenant) and
-- sweep_expired(), both SECURITY DEFINER in 0008. See tenants_owner_read for why this is safe.
CREATE POLICY sessions_owner_read ON orderdesk.sessions
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (true);

CREATE POLICY sessions_owner_sweep ON orderdesk.sessions
    AS PERMISSIVE FOR DELETE TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

GRANT SELECT, INSERT, DELETE ON orderdesk.sessions TO orderdesk_app;
GRANT UPDATE (tenant_id, active_store_id, protocol_version, client_info, last_seen_at, expires_at, revoked_at)
    ON orderdesk.sessions TO orderdesk_app;


CREATE TABLE orderdesk.magic_links (
    token_hash  bytea       PRIMARY KEY CHECK (pg_catalog.octet_length(token_hash) = 32),
    tenant_id   uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    email       text        NOT NULL CHECK (pg_catalog.char_length(email) BETWEEN 3 AND 320 AND email LIKE '%_@_%'),
    purpose     text        NOT NULL DEFAULT 'login' CHECK (purpose IN ('login', 'invite')),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT magic_links_expiry_after_creation CHECK (expires_at > created_at)
);

CREATE INDEX magic_links_tenant_id_expires_at_idx ON orderdesk.magic_links (tenant_id, expires_at);
CREATE INDEX magic_links_expires_at_idx ON orderdesk.magic_links (expires_at);

COMMENT ON TABLE orderdesk.magic_links IS
    'One-time web login/invite links (reserved for the web login). Single use: used_at is set when consumed.';
COMMENT ON COLUMN orderdesk.magic_links.token_hash IS 'SHA-256 of the emailed token; the token itself is never stored.';

ALTER TABLE orderdesk.magic_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.magic_links FORCE ROW LEVEL SECURITY;

CREATE POLICY magic_links_app ON orderdesk.magic_links
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- For sweep_expired() only.
CREATE POLICY magic_links_owner_sweep_read ON orderdesk.magic_links
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

CREATE POLICY magic_links_owner_sweep ON orderdesk.magic_links
    AS PERMISSIVE FOR DELETE TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

GRANT SELECT, INSERT, DELETE ON orderdesk.magic_links TO orderdesk_app;
GRANT UPDATE (used_at) ON orderdesk.magic_links TO orderdesk_app;

RESET ROLE;
