-- 0018: browser sign-in (issue 13): pending authorization requests, magic links bound to the
-- browser that asked, and web sessions that know their member.
--
-- Every secret here (request id, link token, browser binding, web session id) is 32 random bytes
-- in base64url; only its SHA-256 is stored. Every expiry is compared with the database's now().
--
-- lock_timeout: ALTER TABLE on sessions and magic_links takes an ACCESS EXCLUSIVE lock, and every
-- MCP request reads sessions; fail fast rather than queue requests behind this migration, and run
-- it again.
SET LOCAL ROLE orderdesk_owner;
SET LOCAL lock_timeout = '5s';

-- An authorization request (GET /oauth/authorize) waiting for sign-in and consent. It is saved
-- before anyone has signed in, so it names no tenant: only the client's id, name and redirect
-- URI, the client's state, the PKCE challenge, the requested scopes and the resource, all of which
-- the client sent in the clear in its URL, and the hash of the browser cookie that binds it to the
-- browser that started it. Rows live minutes and are deleted when consent uses them.
CREATE TABLE orderdesk.oauth_requests (
    id_hash         bytea       PRIMARY KEY CHECK (pg_catalog.octet_length(id_hash) = 32),
    browser_hash    bytea       NOT NULL CHECK (pg_catalog.octet_length(browser_hash) = 32),
    client_id       text        NOT NULL CHECK (pg_catalog.char_length(client_id) BETWEEN 1 AND 2048),
    client_name     text        NOT NULL CHECK (pg_catalog.char_length(client_name) BETWEEN 1 AND 200),
    redirect_uri    text        NOT NULL CHECK (pg_catalog.char_length(redirect_uri) BETWEEN 1 AND 2048),
    state           text        CHECK (state IS NULL OR (pg_catalog.char_length(state) BETWEEN 1 AND 1024 AND state ~ '^[ -~]+$')),
    code_challenge  text        NOT NULL CHECK (code_challenge ~ '^[A-Za-z0-9_-]{43}$'),
    scopes          text[]      NOT NULL CHECK (
        pg_catalog.array_ndims(scopes) = 1
        AND pg_catalog.cardinality(scopes) >= 1
        AND pg_catalog.array_position(scopes, NULL) IS NULL
        AND scopes <@ ARRAY['orders:read', 'orders:write', 'stores:manage']::text[]),
    resource        text        NOT NULL CHECK (pg_catalog.char_length(resource) BETWEEN 1 AND 2048),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    CONSTRAINT oauth_requests_expiry_after_creation CHECK (expires_at > created_at)
);

CREATE INDEX oauth_requests_expires_at_idx ON orderdesk.oauth_requests (expires_at);

COMMENT ON TABLE orderdesk.oauth_requests IS
    'Authorization requests (GET /oauth/authorize) waiting for sign-in and consent. No tenant: only what the client sent in its URL. Deleted when consent uses them, swept when expired.';
COMMENT ON COLUMN orderdesk.oauth_requests.id_hash IS
    'SHA-256 of the request id (32 random bytes, base64url) carried in the pages'' request= parameter; the id itself is never stored.';
COMMENT ON COLUMN orderdesk.oauth_requests.browser_hash IS
    'SHA-256 of the __Host-odmcp_browser cookie of the browser that started the request; sign-in and consent accept the request only from that browser.';
COMMENT ON COLUMN orderdesk.oauth_requests.client_id IS 'A DCR client id (oauth_clients) or a Client ID Metadata Document URL.';
COMMENT ON COLUMN orderdesk.oauth_requests.client_name IS 'The client''s name as resolved at /oauth/authorize, shown on the consent page.';
COMMENT ON COLUMN orderdesk.oauth_requests.redirect_uri IS 'Already matched exactly against the client''s registered redirect URIs.';
COMMENT ON COLUMN orderdesk.oauth_requests.state IS 'The client''s state (RFC 6749 VSCHAR: 1-1024 characters 0x20-0x7E), returned unchanged with the code or the error.';
COMMENT ON COLUMN orderdesk.oauth_requests.code_challenge IS 'PKCE S256 challenge, copied to the authorization code.';
COMMENT ON COLUMN orderdesk.oauth_requests.scopes IS 'Requested scopes, already validated: a subset of orders:read, orders:write, stores:manage.';
COMMENT ON COLUMN orderdesk.oauth_requests.resource IS 'RFC 8707 resource (the server''s /mcp URL).';

-- No tenant, so the lint's L1 does not ask for row-level security; it is on anyway so that the app
-- can only read, add and delete rows, whatever it is granted later (like oauth_clients).
ALTER TABLE orderdesk.oauth_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.oauth_requests FORCE ROW LEVEL SECURITY;

CREATE POLICY oauth_requests_app_select ON orderdesk.oauth_requests
    AS PERMISSIVE FOR SELECT TO orderdesk_app
    USING (true);

CREATE POLICY oauth_requests_app_insert ON orderdesk.oauth_requests
    AS PERMISSIVE FOR INSERT TO orderdesk_app
    WITH CHECK (true);

CREATE POLICY oauth_requests_app_delete ON orderdesk.oauth_requests
    AS PERMISSIVE FOR DELETE TO orderdesk_app
    USING (true);

-- For sweep_expired() only.
CREATE POLICY oauth_requests_owner_sweep_read ON orderdesk.oauth_requests
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

CREATE POLICY oauth_requests_owner_sweep ON orderdesk.oauth_requests
    AS PERMISSIVE FOR DELETE TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

GRANT SELECT, INSERT, DELETE ON orderdesk.oauth_requests TO orderdesk_app;


-- Magic links: bound to the browser that asked, for a normalized member address.
--
-- binding_hash is SHA-256 of a random value the sign-in page put in a cookie of the browser that
-- submitted the address; redeeming needs the same cookie, so a link forwarded, intercepted or
-- opened by a mail scanner signs nobody in. Required for purpose 'login'. Nothing wrote
-- magic_links before this migration; NOT VALID keeps a hand-written old row from blocking it (new
-- and updated rows are checked).
ALTER TABLE orderdesk.magic_links ADD COLUMN binding_hash bytea
    CHECK (binding_hash IS NULL OR pg_catalog.octet_length(binding_hash) = 32);

ALTER TABLE orderdesk.magic_links ADD CONSTRAINT magic_links_login_bound
    CHECK (purpose <> 'login' OR binding_hash IS NOT NULL) NOT VALID;

-- The address the link signs in as: the member's, normalized like tenant_members.email.
ALTER TABLE orderdesk.magic_links ADD CONSTRAINT magic_links_email_form CHECK (
    pg_catalog.char_length(email) BETWEEN 3 AND 254
    AND email ~ '^[!-~]+$'
    AND email ~ '^[^@]{1,64}@[^@]+$'
    AND email = pg_catalog.lower(email)) NOT VALID;

COMMENT ON TABLE orderdesk.magic_links IS
    'One-time web sign-in links, one per tenant the address is a member of. Single use: used_at is set when redeemed; bound to the asking browser (binding_hash).';
COMMENT ON COLUMN orderdesk.magic_links.email IS
    'The member''s normalized address (tenant_members.email) the link signs in as.';
COMMENT ON COLUMN orderdesk.magic_links.binding_hash IS
    'SHA-256 of the browser-binding cookie set when the link was asked for; redeeming needs the same cookie. Required for login links.';
COMMENT ON COLUMN orderdesk.magic_links.used_at IS 'Set once, by the first successful redemption.';

-- For lookup_magic_link() (the link carries only the token), which returns the tenant and flags.
CREATE POLICY magic_links_owner_read ON orderdesk.magic_links
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (true);

-- Redeeming a link: which tenant's transaction to redeem it in, and whether it can still be used.
-- No address, no binding: the redemption reads and checks those under RLS.
CREATE FUNCTION orderdesk.lookup_magic_link(p_hash bytea)
    RETURNS TABLE (
        tenant_id      uuid,
        expired        boolean,
        used           boolean,
        tenant_active  boolean
    )
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $$
    SELECT m.tenant_id, m.expires_at <= pg_catalog.now(), m.used_at IS NOT NULL, t.status = 'active'
    FROM orderdesk.magic_links AS m
    JOIN orderdesk.tenants AS t ON t.id = m.tenant_id
    WHERE m.token_hash = p_hash AND m.purpose = 'login'
$$;

COMMENT ON FUNCTION orderdesk.lookup_magic_link(bytea) IS
    'Pre-tenant lookup of a login magic link by SHA-256 of its token: its tenant, whether it is expired or used, and whether the tenant is active; at most one row. SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.lookup_magic_link(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.lookup_magic_link(bytea) TO orderdesk_app;


-- Web sessions (the consent and grants pages) remember the member who signed in; MCP sessions
-- have no member. Nothing created web sessions before this migration, so the CHECK holds for
-- every existing row.
ALTER TABLE orderdesk.sessions ADD COLUMN member_email text
    CHECK (member_email IS NULL OR (
        pg_catalog.char_length(member_email) BETWEEN 3 AND 254
        AND member_email ~ '^[!-~]+$'
        AND member_email ~ '^[^@]{1,64}@[^@]+$'
        AND member_email = pg_catalog.lower(member_email)));

ALTER TABLE orderdesk.sessions ADD CONSTRAINT sessions_member_only_web
    CHECK ((kind = 'web') = (member_email IS NOT NULL));

COMMENT ON COLUMN orderdesk.sessions.member_email IS
    'Web sessions only (set iff kind = ''web''): the member who signed in by magic link, normalized like tenant_members.email.';


-- sweep_expired() as in 0017, plus expired authorization requests. Same signature, so grants and
-- callers are unchanged; the result gains one row ('oauth_requests').
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

    DELETE FROM orderdesk.oauth_requests AS r
    WHERE r.expires_at < pg_catalog.now()
      AND r.id_hash IN (
          SELECT e.id_hash FROM orderdesk.oauth_requests AS e
          WHERE e.expires_at < pg_catalog.now()
          LIMIT p_limit);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'oauth_requests'; deleted := n; RETURN NEXT;
END
$$;

COMMENT ON FUNCTION orderdesk.sweep_expired(integer) IS
    'Deletes up to p_limit expired rows per table (cache_entries, sessions, magic_links, idle rate_limit_buckets and auth_failure_buckets, order_idempotency_keys, order_update_leases, oauth_codes, oauth_tokens, oauth_requests); returns counts. SECURITY DEFINER.';


-- lookup_oauth_token() as in 0017, but a token whose grant's member is no longer a member of the
-- tenant is not found (401 invalid_token / invalid_grant). remove-member revokes the member's
-- grants in its transaction; this also covers a consent that committed while the removal ran, and
-- any grant a future path might leave behind. Same signature, so grants and callers are unchanged.
CREATE OR REPLACE FUNCTION orderdesk.lookup_oauth_token(p_hash bytea)
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
      AND EXISTS (SELECT 1 FROM orderdesk.tenant_members AS m
                  WHERE m.tenant_id = g.tenant_id AND m.email = g.member_email)
$$;

COMMENT ON FUNCTION orderdesk.lookup_oauth_token(bytea) IS
    'Pre-tenant lookup of an OAuth access or refresh token by SHA-256: tenant, grant, kind, expiry, use, revocation (token or grant), the grant''s scopes, stores and resource, and whether the tenant is active; at most one row, none when the grant''s member is no longer a member of the tenant. SECURITY DEFINER.';

RESET ROLE;
