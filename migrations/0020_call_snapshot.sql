-- 0020: a tool call's database reads in one statement, and audit rows of many tenants in one
-- statement (issue 15).
--
-- Before a cached `orders_get` the server read the session (and touched it), the tenant's stores and
-- the cache entry in separate transactions: up to three round trips and five statements per call.
-- `open_call` does all of it in one statement that runs as its own transaction, with no BEGIN and
-- COMMIT around it.
--
-- It is SECURITY INVOKER: it sets app.tenant_id for the statement's own transaction and then reads
-- as the caller (orderdesk_app), so row-level security applies to every row exactly as in a tenant
-- transaction opened by the server. The setting is transaction-local and ends with the statement.
SET LOCAL ROLE orderdesk_owner;

CREATE FUNCTION orderdesk.open_call(
    p_tenant uuid,
    -- SHA-256 of the Mcp-Session-Id (legacy revisions), or NULL (2026-07-28 has no sessions).
    p_session bytea,
    p_idle_seconds double precision,
    p_touch_after_seconds double precision,
    -- Return every store of the tenant (true), or only the session's active store (false).
    p_all_stores boolean,
    -- The call's `store` argument as the tool will resolve it (trimmed), and as a uuid when it is one.
    p_store_ref text,
    p_store_uuid uuid,
    -- The cache entry the tool will read first (scope and key), or NULL for none.
    p_scope text,
    p_key text)
    RETURNS TABLE (
        tenant             text,
        checked_at         text,
        session_found      boolean,
        active_store_id    uuid,
        protocol_version   text,
        store_uuid         uuid,
        store_id           text,
        store_name         text,
        store_label        text,
        store_created_at   timestamptz,
        store_rank         integer,
        cache_probed       boolean,
        cached             jsonb
    )
    LANGUAGE plpgsql
    VOLATILE
    SECURITY INVOKER
    SET search_path = ''
AS $$
DECLARE
    v_tenant     text;
    v_checked_at text;
    v_found      boolean := false;
    v_active     uuid;
    v_version    text;
    v_last_seen  timestamptz;
BEGIN
    v_tenant := pg_catalog.set_config('app.tenant_id', p_tenant::text, true);
    -- The time of a cache miss, taken before the read: a later fill compares it with the store's
    -- invalidation marker, so an earlier time can only make a fill more careful.
    v_checked_at := pg_catalog.clock_timestamp()::text;
    IF p_session IS NOT NULL THEN
        SELECT s.active_store_id, s.protocol_version, s.last_seen_at
          INTO v_active, v_version, v_last_seen
        FROM orderdesk.sessions AS s
        WHERE s.id_hash = p_session AND s.kind = 'mcp' AND s.tenant_id = p_tenant
          AND s.revoked_at IS NULL AND s.expires_at > pg_catalog.now()
          AND EXISTS (SELECT 1 FROM orderdesk.tenants AS t WHERE t.id = p_tenant AND t.status = 'active');
        v_found := FOUND;
        IF v_found AND v_last_seen < pg_catalog.now() - pg_catalog.make_interval(secs => p_touch_after_seconds) THEN
            UPDATE orderdesk.sessions AS s
            SET last_seen_at = pg_catalog.now(),
                expires_at = pg_catalog.now() + pg_catalog.make_interval(secs => p_idle_seconds)
            WHERE s.id_hash = p_session AND s.tenant_id = p_tenant;
        END IF;
    END IF;
    RETURN QUERY
    WITH listed AS (
        SELECT st.id, st.store_id, st.name, st.label, st.created_at,
               CASE WHEN st.id = p_store_uuid THEN 0
                    WHEN st.store_id = p_store_ref THEN 1
                    WHEN pg_catalog.lower(st.name) = pg_catalog.lower(p_store_ref) THEN 2 END AS rank
        FROM orderdesk.stores AS st
        WHERE st.tenant_id = p_tenant AND (p_all_stores OR st.id = v_active)
    ), probed AS (
        SELECT l.*,
               p_key IS NOT NULL AND CASE WHEN p_store_ref IS NOT NULL THEN l.rank IS NOT NULL
                                          WHEN v_active IS NOT NULL THEN l.id = v_active
                                          ELSE p_all_stores END AS probe
        FROM listed AS l
    )
    SELECT v_tenant, v_checked_at, v_found, v_active, v_version,
           p.id, p.store_id, p.name, p.label, p.created_at, p.rank, coalesce(p.probe, false),
           CASE WHEN p.probe THEN
               (SELECT c.value FROM orderdesk.cache_entries AS c
                WHERE c.tenant_id = p_tenant AND c.store_id = p.id AND c.scope = p_scope AND c.key = p_key
                  AND c.expires_at > pg_catalog.clock_timestamp())
           END
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN probed AS p ON true
    ORDER BY pg_catalog.lower(p.name), p.name, p.id;
END
$$;

COMMENT ON FUNCTION orderdesk.open_call(uuid, bytea, double precision, double precision, boolean, text, uuid, text, text) IS
    'One statement at the start of a tool call: sets app.tenant_id for its own transaction, reads (and when due touches) the tenant''s live session, lists the tenant''s stores (or only the active one) ranked against a store argument, and probes the cache entry the tool will read for the store(s) it may choose. One row per listed store (one all-NULL store row when none). SECURITY INVOKER: row-level security applies.';

REVOKE ALL ON FUNCTION orderdesk.open_call(uuid, bytea, double precision, double precision, boolean, text, uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.open_call(uuid, bytea, double precision, double precision, boolean, text, uuid, text, text) TO orderdesk_app;

-- The audit writer's batches. Rows of several tenants (and tenantless rows) are written by one
-- statement: for each tenant in turn the function sets app.tenant_id and inserts that tenant's rows,
-- so the audit_log policy checks every row against its own tenant, exactly as one transaction per
-- tenant did. The rows are the jsonb objects the server builds (keys = column names); id and
-- occurred_at are the table's defaults. Returns the number of rows written.
CREATE FUNCTION orderdesk.append_audit(p_rows jsonb)
    RETURNS integer
    LANGUAGE plpgsql
    VOLATILE
    SECURITY INVOKER
    SET search_path = ''
AS $$
DECLARE
    v_tenant  uuid;
    v_written integer := 0;
    v_rows    integer;
BEGIN
    FOR v_tenant IN
        SELECT DISTINCT (e.value ->> 'tenant_id')::uuid FROM pg_catalog.jsonb_array_elements(p_rows) AS e
    LOOP
        PERFORM pg_catalog.set_config('app.tenant_id', coalesce(v_tenant::text, ''), true);
        INSERT INTO orderdesk.audit_log (tenant_id, correlation_id, session_hash, replica_id, actor, action,
                                         store_id, target, params, outcome, error_code, duration_ms, client_ip,
                                         user_agent, protocol_version, traceparent)
        SELECT r.tenant_id, r.correlation_id, r.session_hash, r.replica_id, r.actor, r.action,
               r.store_id, r.target, r.params, r.outcome, r.error_code, r.duration_ms, r.client_ip,
               r.user_agent, r.protocol_version, r.traceparent
        FROM ROWS FROM (pg_catalog.jsonb_populate_recordset(NULL::orderdesk.audit_log, p_rows)) WITH ORDINALITY AS r
        WHERE r.tenant_id IS NOT DISTINCT FROM v_tenant
        ORDER BY r.ordinality;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        v_written := v_written + v_rows;
    END LOOP;
    PERFORM pg_catalog.set_config('app.tenant_id', '', true);
    RETURN v_written;
END
$$;

COMMENT ON FUNCTION orderdesk.append_audit(jsonb) IS
    'The audit writer''s batch: appends the jsonb rows (keys = audit_log columns) tenant by tenant, setting app.tenant_id for each, so row-level security checks every row against its own tenant. SECURITY INVOKER.';

REVOKE ALL ON FUNCTION orderdesk.append_audit(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.append_audit(jsonb) TO orderdesk_app;

RESET ROLE;
