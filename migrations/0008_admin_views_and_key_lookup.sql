-- 0008: the narrow SECURITY DEFINER entry points used before a tenant is known, and the
-- auditor's views.
--
-- The functions run as orderdesk_owner, which is subject to RLS (FORCE) and has only the
-- owner_* policies created with each table: SELECT on tenants, master_key_metadata and sessions,
-- and SELECT/DELETE of expired rows for the sweeper. Each function uses SET search_path = ''
-- and schema-qualified names, so a caller cannot substitute objects.
SET LOCAL ROLE orderdesk_owner;

-- Authentication: given HMAC-SHA256(pepper, presented key), return the one matching key row,
-- or no row. The caller verifies key_hash with argon2id, then refuses revoked keys and
-- disabled tenants, and only then sets app.tenant_id.
CREATE FUNCTION orderdesk.lookup_master_key(p_fingerprint bytea)
    RETURNS TABLE (
        key_id         uuid,
        tenant_id      uuid,
        key_hash       text,
        scopes         text[],
        revoked        boolean,
        tenant_active  boolean
    )
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $$
    SELECT k.id, k.tenant_id, k.key_hash, k.scopes, k.revoked_at IS NOT NULL, t.status = 'active'
    FROM orderdesk.master_key_metadata AS k
    JOIN orderdesk.tenants AS t ON t.id = k.tenant_id
    WHERE k.fingerprint = p_fingerprint
$$;

COMMENT ON FUNCTION orderdesk.lookup_master_key(bytea) IS
    'Pre-tenant key lookup by fingerprint (HMAC-SHA256(pepper, key)); returns at most one row. SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.lookup_master_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.lookup_master_key(bytea) TO orderdesk_app;

-- Session authentication: a request that carries only Mcp-Session-Id (clients that cannot send
-- an Authorization header) must learn which tenant the session is bound to before it can set
-- app.tenant_id and read the session row itself. Returns at most one row; tenant_id and
-- tenant_active are NULL for a session that is not bound yet.
CREATE FUNCTION orderdesk.lookup_session(p_id_hash bytea)
    RETURNS TABLE (
        tenant_id      uuid,
        kind           text,
        expires_at     timestamptz,
        revoked        boolean,
        tenant_active  boolean
    )
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $$
    SELECT s.tenant_id, s.kind, s.expires_at, s.revoked_at IS NOT NULL, t.status = 'active'
    FROM orderdesk.sessions AS s
    LEFT JOIN orderdesk.tenants AS t ON t.id = s.tenant_id
    WHERE s.id_hash = p_id_hash
$$;

COMMENT ON FUNCTION orderdesk.lookup_session(bytea) IS
    'Pre-tenant session lookup by SHA-256 of the session id; returns at most one row. SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.lookup_session(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.lookup_session(bytea) TO orderdesk_app;

-- Operator CLI "tenants list": the one cross-tenant listing. Returns no secret (no salt, no
-- key material). Tenant ids are not secrets in this design: RLS protects tenants from query
-- bugs, and the app role can set any app.tenant_id anyway.
CREATE FUNCTION orderdesk.list_tenants()
    RETURNS TABLE (
        id          uuid,
        name        text,
        status      text,
        created_at  timestamptz,
        updated_at  timestamptz
    )
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $$
    SELECT t.id, t.name, t.status, t.created_at, t.updated_at
    FROM orderdesk.tenants AS t
    ORDER BY t.created_at, t.id
$$;

COMMENT ON FUNCTION orderdesk.list_tenants() IS
    'All tenants (id, name, status, timestamps) for the operator CLI; no secrets. SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.list_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.list_tenants() TO orderdesk_app;

-- Background sweeper, callable from any replica with no tenant set (concurrent calls are
-- harmless). Deletes at most p_limit rows per table per call: expired cache entries, sessions
-- and magic links, and rate-limit buckets idle for over an hour (refilled, so equal to no row).
-- The owner_sweep policies limit it to exactly those rows, whatever this body says.
CREATE FUNCTION orderdesk.sweep_expired(p_limit integer DEFAULT 5000)
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
END
$$;

COMMENT ON FUNCTION orderdesk.sweep_expired(integer) IS
    'Deletes up to p_limit expired rows per table (cache_entries, sessions, magic_links, idle rate_limit_buckets); returns counts. SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.sweep_expired(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.sweep_expired(integer) TO orderdesk_app;


-- Auditor views. security_invoker: they run with the auditor's own privileges and policies,
-- never the owner's.
CREATE POLICY tenants_auditor_read ON orderdesk.tenants
    AS PERMISSIVE FOR SELECT TO orderdesk_auditor
    USING (true);
-- Only the columns an auditor needs to name a tenant; never hkdf_salt.
GRANT SELECT (id, name, status) ON orderdesk.tenants TO orderdesk_auditor;

CREATE VIEW orderdesk.audit_events WITH (security_invoker = true) AS
SELECT a.id,
       a.occurred_at,
       a.tenant_id,
       t.name AS tenant_name,
       a.actor,
       a.action,
       a.store_id,
       a.target,
       a.outcome,
       a.error_code,
       a.duration_ms,
       a.params,
       a.correlation_id,
       a.session_hash,
       a.replica_id,
       a.client_ip,
       a.user_agent
FROM orderdesk.audit_log AS a
LEFT JOIN orderdesk.tenants AS t ON t.id = a.tenant_id;

COMMENT ON VIEW orderdesk.audit_events IS
    'Every audit row with its tenant''s name (NULL tenant: events with no tenant, e.g. unknown keys).';

CREATE VIEW orderdesk.audit_failures WITH (security_invoker = true) AS
SELECT *
FROM orderdesk.audit_events
WHERE outcome IN ('error', 'denied', 'rate_limited');

COMMENT ON VIEW orderdesk.audit_failures IS 'Audit rows whose outcome is error, denied or rate_limited.';

CREATE VIEW orderdesk.audit_order_history WITH (security_invoker = true) AS
SELECT *
FROM orderdesk.audit_events
WHERE target IS NOT NULL
ORDER BY occurred_at DESC, id DESC;

COMMENT ON VIEW orderdesk.audit_order_history IS
    'Audit rows about a specific object (target, usually an OrderDesk order id), newest first.';

GRANT SELECT ON orderdesk.audit_events, orderdesk.audit_failures, orderdesk.audit_order_history
    TO orderdesk_auditor;

RESET ROLE;
