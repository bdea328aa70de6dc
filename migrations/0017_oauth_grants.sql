-- 0017: OAuth 2.1 grants, authorization codes and tokens (issue 13), plus the clients registered
-- with Dynamic Client Registration.
--
-- A grant is one consent: a tenant member let one client use some scopes (and maybe only some
-- stores) of the tenant, for one resource (the server's /mcp URL). Codes and tokens hang off a
-- grant; revoking the grant (the member's grants page, the CLI, refresh-token reuse, code reuse)
-- ends every token issued under it at once, because verification reads the grant too.
--
-- Codes and tokens are 32 random bytes each (odac_/odat_/odrt_ + base64url); only their SHA-256 is
-- stored. They are high-entropy, so an unkeyed hash is enough (unlike master keys, no argon2).
-- Every expiry is compared with the database's now(): one clock for every replica.
--
-- lock_timeout: the new tables lock nothing busy, but the FKs take a lock on tenants, which every
-- authentication reads; fail fast rather than queue logins behind this migration, and run it again.
SET LOCAL ROLE orderdesk_owner;
SET LOCAL lock_timeout = '5s';

-- Clients registered with RFC 7591 Dynamic Client Registration. A client id names no tenant and
-- the row holds no tenant data (a name, redirect URIs, the submitted metadata), so it is global.
-- Clients that use a Client ID Metadata Document (an https URL as client_id) have no row here.
CREATE TABLE orderdesk.oauth_clients (
    client_id      text        PRIMARY KEY CHECK (client_id ~ '^odc_[A-Za-z0-9_-]{22,43}$'),
    client_name    text        NOT NULL CHECK (pg_catalog.char_length(client_name) BETWEEN 1 AND 200),
    redirect_uris  text[]      NOT NULL CHECK (
        pg_catalog.array_ndims(redirect_uris) = 1
        AND pg_catalog.cardinality(redirect_uris) BETWEEN 1 AND 10
        AND pg_catalog.array_position(redirect_uris, NULL) IS NULL),
    metadata       jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (pg_catalog.jsonb_typeof(metadata) = 'object'),
    created_at     timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE orderdesk.oauth_clients IS
    'OAuth clients registered with Dynamic Client Registration (POST /oauth/register). Global (no tenant): public clients with no secret. Added, never edited.';
COMMENT ON COLUMN orderdesk.oauth_clients.client_id IS '''odc_'' + at least 128 random bits, base64url.';
COMMENT ON COLUMN orderdesk.oauth_clients.redirect_uris IS
    'Exact strings; the authorization request''s redirect_uri must equal one of them.';
COMMENT ON COLUMN orderdesk.oauth_clients.metadata IS
    'The registration request as accepted (RFC 7591 client metadata), for support; never used to widen a grant.';

-- No tenant, so the lint's L1 does not ask for row-level security; it is on anyway so that the app
-- can only ever read and add rows, whatever it is granted later.
ALTER TABLE orderdesk.oauth_clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.oauth_clients FORCE ROW LEVEL SECURITY;

CREATE POLICY oauth_clients_app_select ON orderdesk.oauth_clients
    AS PERMISSIVE FOR SELECT TO orderdesk_app
    USING (true);

CREATE POLICY oauth_clients_app_insert ON orderdesk.oauth_clients
    AS PERMISSIVE FOR INSERT TO orderdesk_app
    WITH CHECK (true);

GRANT SELECT, INSERT ON orderdesk.oauth_clients TO orderdesk_app;


CREATE TABLE orderdesk.oauth_grants (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    client_id     text        NOT NULL CHECK (pg_catalog.char_length(client_id) BETWEEN 1 AND 2048),
    client_name   text        NOT NULL CHECK (pg_catalog.char_length(client_name) BETWEEN 1 AND 200),
    member_email  text        NOT NULL CHECK (
        pg_catalog.char_length(member_email) BETWEEN 3 AND 254
        AND member_email ~ '^[!-~]+$'
        AND member_email ~ '^[^@]{1,64}@[^@]+$'
        AND member_email = pg_catalog.lower(member_email)),
    scopes        text[]      NOT NULL CHECK (
        pg_catalog.array_ndims(scopes) = 1
        AND pg_catalog.cardinality(scopes) >= 1
        AND pg_catalog.array_position(scopes, NULL) IS NULL
        AND scopes <@ ARRAY['orders:read', 'orders:write', 'stores:manage']::text[]),
    store_ids     text[]      CHECK (store_ids IS NULL OR orderdesk.is_store_id_list(store_ids)),
    resource      text        NOT NULL CHECK (pg_catalog.char_length(resource) BETWEEN 1 AND 2048),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    -- Target of the composite FKs from codes and tokens (lint L11), and the tenant_id index (L10).
    CONSTRAINT oauth_grants_tenant_id_id_key UNIQUE (tenant_id, id)
);

COMMENT ON TABLE orderdesk.oauth_grants IS
    'One consent: a tenant member let a client use scopes (and maybe only some stores) of the tenant for one resource. Revoking it ends every code and token issued under it.';
COMMENT ON COLUMN orderdesk.oauth_grants.client_id IS 'A DCR client id (oauth_clients) or a Client ID Metadata Document URL.';
COMMENT ON COLUMN orderdesk.oauth_grants.client_name IS 'The client''s name when consent was given, as the member saw it.';
COMMENT ON COLUMN orderdesk.oauth_grants.member_email IS 'The member who consented (normalized like tenant_members.email); kept if the member is removed.';
COMMENT ON COLUMN orderdesk.oauth_grants.scopes IS 'Subset of orders:read, orders:write, stores:manage.';
COMMENT ON COLUMN orderdesk.oauth_grants.store_ids IS
    'OrderDesk store ids (stores.store_id) the tokens may select; NULL = all the tenant''s stores.';
COMMENT ON COLUMN orderdesk.oauth_grants.resource IS 'RFC 8707 resource (the server''s /mcp URL) the tokens are for.';
COMMENT ON COLUMN orderdesk.oauth_grants.last_used_at IS 'Last time tokens were issued under the grant (code exchange or refresh).';
COMMENT ON COLUMN orderdesk.oauth_grants.revoked_at IS 'Set once, never cleared: the grant and all its tokens are dead.';

ALTER TABLE orderdesk.oauth_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.oauth_grants FORCE ROW LEVEL SECURITY;

CREATE POLICY oauth_grants_app ON orderdesk.oauth_grants
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- For lookup_oauth_token(), which runs as the owner before the tenant is known (like
-- master_key_metadata_owner_read for lookup_master_key_v2). It returns the grant's scopes, stores
-- and resource for one token hash, never a member's address or another grant.
CREATE POLICY oauth_grants_owner_read ON orderdesk.oauth_grants
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (true);

-- What a grant allows is fixed at consent: only use and revocation are written later.
GRANT SELECT, INSERT ON orderdesk.oauth_grants TO orderdesk_app;
GRANT UPDATE (last_used_at, revoked_at) ON orderdesk.oauth_grants TO orderdesk_app;


CREATE TABLE orderdesk.oauth_codes (
    code_hash       bytea       PRIMARY KEY CHECK (pg_catalog.octet_length(code_hash) = 32),
    tenant_id       uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    grant_id        uuid        NOT NULL,
    redirect_uri    text        NOT NULL CHECK (pg_catalog.char_length(redirect_uri) BETWEEN 1 AND 2048),
    code_challenge  text        NOT NULL CHECK (code_challenge ~ '^[A-Za-z0-9_-]{43}$'),
    resource        text        NOT NULL CHECK (pg_catalog.char_length(resource) BETWEEN 1 AND 2048),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    CONSTRAINT oauth_codes_expiry_after_creation CHECK (expires_at > created_at),
    CONSTRAINT oauth_codes_grant_fkey FOREIGN KEY (tenant_id, grant_id)
        REFERENCES orderdesk.oauth_grants (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX oauth_codes_tenant_id_grant_id_idx ON orderdesk.oauth_codes (tenant_id, grant_id);
CREATE INDEX oauth_codes_expires_at_idx ON orderdesk.oauth_codes (expires_at);

COMMENT ON TABLE orderdesk.oauth_codes IS
    'Authorization codes: single use (used_at is set by the first exchange attempt, right or wrong), short-lived, bound to the grant''s client, the redirect URI, the PKCE challenge and the resource.';
COMMENT ON COLUMN orderdesk.oauth_codes.code_hash IS 'SHA-256 of the code (odac_…); the code itself is never stored.';
COMMENT ON COLUMN orderdesk.oauth_codes.code_challenge IS 'PKCE S256 challenge: base64url(SHA-256(code_verifier)), 43 characters.';

ALTER TABLE orderdesk.oauth_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.oauth_codes FORCE ROW LEVEL SECURITY;

CREATE POLICY oauth_codes_app ON orderdesk.oauth_codes
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- For lookup_oauth_code() (a token request carries only the code) and sweep_expired().
CREATE POLICY oauth_codes_owner_read ON orderdesk.oauth_codes
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (true);

CREATE POLICY oauth_codes_owner_sweep ON orderdesk.oauth_codes
    AS PERMISSIVE FOR DELETE TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

GRANT SELECT, INSERT ON orderdesk.oauth_codes TO orderdesk_app;
GRANT UPDATE (used_at) ON orderdesk.oauth_codes TO orderdesk_app;


CREATE TABLE orderdesk.oauth_tokens (
    token_hash   bytea       PRIMARY KEY CHECK (pg_catalog.octet_length(token_hash) = 32),
    tenant_id    uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    grant_id     uuid        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('access', 'refresh')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz,
    parent_hash  bytea       CHECK (parent_hash IS NULL OR pg_catalog.octet_length(parent_hash) = 32),
    CONSTRAINT oauth_tokens_expiry_after_creation CHECK (expires_at > created_at),
    -- Only a refresh token is ever used up (rotation); an access token is used until it expires.
    CONSTRAINT oauth_tokens_used_only_refresh CHECK (used_at IS NULL OR kind = 'refresh'),
    CONSTRAINT oauth_tokens_grant_fkey FOREIGN KEY (tenant_id, grant_id)
        REFERENCES orderdesk.oauth_grants (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX oauth_tokens_tenant_id_grant_id_idx ON orderdesk.oauth_tokens (tenant_id, grant_id);
CREATE INDEX oauth_tokens_expires_at_idx ON orderdesk.oauth_tokens (expires_at);

COMMENT ON TABLE orderdesk.oauth_tokens IS
    'Access tokens (odat_…) and refresh tokens (odrt_…) by SHA-256. A refresh token is single use: refreshing sets used_at and issues a new pair; presenting a used one again revokes the grant.';
COMMENT ON COLUMN orderdesk.oauth_tokens.token_hash IS 'SHA-256 of the token; the token itself is never stored.';
COMMENT ON COLUMN orderdesk.oauth_tokens.used_at IS 'Refresh tokens only: when it was exchanged for a new pair.';
COMMENT ON COLUMN orderdesk.oauth_tokens.parent_hash IS
    'The refresh token this one was issued for (NULL: issued from an authorization code). Support and audit only; not a foreign key, the parent may be swept first.';

ALTER TABLE orderdesk.oauth_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.oauth_tokens FORCE ROW LEVEL SECURITY;

CREATE POLICY oauth_tokens_app ON orderdesk.oauth_tokens
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- For lookup_oauth_token() (a request carries only the token) and sweep_expired().
CREATE POLICY oauth_tokens_owner_read ON orderdesk.oauth_tokens
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (true);

CREATE POLICY oauth_tokens_owner_sweep ON orderdesk.oauth_tokens
    AS PERMISSIVE FOR DELETE TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

GRANT SELECT, INSERT ON orderdesk.oauth_tokens TO orderdesk_app;
GRANT UPDATE (used_at, revoked_at) ON orderdesk.oauth_tokens TO orderdesk_app;


-- Token request with a code: which tenant's transaction to exchange it in. Nothing about the code.
CREATE FUNCTION orderdesk.lookup_oauth_code(p_hash bytea)
    RETURNS TABLE (
        tenant_id      uuid,
        tenant_active  boolean
    )
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $$
    SELECT c.tenant_id, t.status = 'active'
    FROM orderdesk.oauth_codes AS c
    JOIN orderdesk.tenants AS t ON t.id = c.tenant_id
    WHERE c.code_hash = p_hash
$$;

COMMENT ON FUNCTION orderdesk.lookup_oauth_code(bytea) IS
    'Pre-tenant lookup of an authorization code by SHA-256: its tenant and whether the tenant is active; at most one row. SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.lookup_oauth_code(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.lookup_oauth_code(bytea) TO orderdesk_app;

-- Bearer verification in one round trip (like lookup_master_key_v2): the token's tenant, grant and
-- state, and what the grant allows. revoked_at is the token's or else the grant's.
CREATE FUNCTION orderdesk.lookup_oauth_token(p_hash bytea)
    RETURNS TABLE (
        tenant_id      uuid,
        grant_id       uuid,
        kind           text,
        expires_at     timestamptz,
        used_at        timestamptz,
        revoked_at     timestamptz,
        scopes         text[],
        store_ids      text[],
        resource       text,
        tenant_active  boolean
    )
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $$
    SELECT k.tenant_id, k.grant_id, k.kind, k.expires_at, k.used_at, coalesce(k.revoked_at, g.revoked_at),
           g.scopes, g.store_ids, g.resource, t.status = 'active'
    FROM orderdesk.oauth_tokens AS k
    JOIN orderdesk.oauth_grants AS g ON g.tenant_id = k.tenant_id AND g.id = k.grant_id
    JOIN orderdesk.tenants AS t ON t.id = k.tenant_id
    WHERE k.token_hash = p_hash
$$;

COMMENT ON FUNCTION orderdesk.lookup_oauth_token(bytea) IS
    'Pre-tenant lookup of an OAuth access or refresh token by SHA-256: tenant, grant, kind, expiry, use, revocation (token or grant), the grant''s scopes, stores and resource, and whether the tenant is active; at most one row. SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.lookup_oauth_token(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.lookup_oauth_token(bytea) TO orderdesk_app;


-- sweep_expired() as in 0012, plus expired codes and tokens. Same signature, so grants and callers
-- are unchanged; the result gains two rows ('oauth_codes', 'oauth_tokens'). Grants have no expiry:
-- a revoked or idle grant stays listed until its tenant is deleted.
CREATE OR REPLACE FUNCTION orderdesk.sweep_expired(p_limit integer DEFAULT 5000)
    RETURNS TABLE (table_name text, deleted bigint)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = ''
AS $$
DECLARE
    n bigint;
BEGIN
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'p_limit must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
    END IF;

    DELETE FROM orderdesk.cache_entries AS c
    WHERE c.expires_at < pg_catalog.now()
      AND (c.tenant_id, c.store_id, c.scope, c.key) IN (
          SELECT e.tenant_id, e.store_id, e.scope, e.key
          FROM orderdesk.cache_entries AS e
          WHERE e.expires_at < pg_catalog.now()
          LIMIT p_limit);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'cache_entries'; deleted := n; RETURN NEXT;

    DELETE FROM orderdesk.sessions AS s
    WHERE s.expires_at < pg_catalog.now()
      AND s.id_hash IN (
          SELECT e.id_hash FROM orderdesk.sessions AS e
          WHERE e.expires_at < pg_catalog.now()
          LIMIT p_limit);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'sessions'; deleted := n; RETURN NEXT;

    DELETE FROM orderdesk.magic_links AS m
    WHERE m.expires_at < pg_catalog.now()
      AND m.token_hash IN (
          SELECT e.token_hash FROM orderdesk.magic_links AS e
          WHERE e.expires_at < pg_catalog.now()
          LIMIT p_limit);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'magic_links'; deleted := n; RETURN NEXT;

    DELETE FROM orderdesk.rate_limit_buckets AS b
    WHERE b.updated_at < pg_catalog.now() - interval '1 hour'
      AND (b.tenant_id, b.bucket) IN (
          SELECT e.tenant_id, e.bucket FROM orderdesk.rate_limit_buckets AS e
          WHERE e.updated_at < pg_catalog.now() - interval '1 hour'
          LIMIT p_limit);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'rate_limit_buckets'; deleted := n; RETURN NEXT;

    DELETE FROM orderdesk.auth_failure_buckets AS f
    WHERE f.window_start < pg_catalog.now() - interval '1 hour'
      AND f.client_ip IN (
          SELECT e.client_ip FROM orderdesk.auth_failure_buckets AS e
          WHERE e.window_start < pg_catalog.now() - interval '1 hour'
          LIMIT p_limit);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'auth_failure_buckets'; deleted := n; RETURN NEXT;

    DELETE FROM orderdesk.order_idempotency_keys AS k
    WHERE k.expires_at < pg_catalog.now()
      AND (k.tenant_id, k.store_id, k.key_hash) IN (
          SELECT e.tenant_id, e.store_id, e.key_hash FROM orderdesk.order_idempotency_keys AS e
          WHERE e.expires_at < pg_catalog.now()
          LIMIT p_limit);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'order_idempotency_keys'; deleted := n; RETURN NEXT;

    DELETE FROM orderdesk.order_update_leases AS l
    WHERE l.expires_at < pg_catalog.now()
      AND (l.tenant_id, l.store_id, l.order_id) IN (
          SELECT e.tenant_id, e.store_id, e.order_id FROM orderdesk.order_update_leases AS e
          WHERE e.expires_at < pg_catalog.now()
          LIMIT p_limit);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'order_update_leases'; deleted := n; RETURN NEXT;

    DELETE FROM orderdesk.oauth_codes AS o
    WHERE o.expires_at < pg_catalog.now()
      AND o.code_hash IN (
          SELECT e.code_hash FROM orderdesk.oauth_codes AS e
          WHERE e.expires_at < pg_catalog.now()
          LIMIT p_limit);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'oauth_codes'; deleted := n; RETURN NEXT;

    -- Once swept, a used refresh token presented again is merely unknown (invalid_grant) and no longer
    -- revokes its grant: reuse is detected for as long as the token would have lived, not forever.
    DELETE FROM orderdesk.oauth_tokens AS o
    WHERE o.expires_at < pg_catalog.now()
      AND o.token_hash IN (
          SELECT e.token_hash FROM orderdesk.oauth_tokens AS e
          WHERE e.expires_at < pg_catalog.now()
          LIMIT p_limit);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'oauth_tokens'; deleted := n; RETURN NEXT;
END
$$;

COMMENT ON FUNCTION orderdesk.sweep_expired(integer) IS
    'Deletes up to p_limit expired rows per table (cache_entries, sessions, magic_links, idle rate_limit_buckets and auth_failure_buckets, order_idempotency_keys, order_update_leases, oauth_codes, oauth_tokens); returns counts. SECURITY DEFINER.';

RESET ROLE;
