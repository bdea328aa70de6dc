-- 0009: failed master-key attempts per client address, shared by all replicas, so a brute-force
-- attacker cannot multiply its budget by the number of replicas behind the load balancer.
--
-- No tenant_id: a failed attempt has no tenant (an unknown key names none), and the rows hold no
-- tenant data (a client address, a count, a time). So the table needs no row-level security; the
-- app role is the only one granted anything on it. UNLOGGED like rate_limit_buckets: a crash
-- resets the counters, which costs at most one extra window of attempts.
SET LOCAL ROLE orderdesk_owner;

CREATE UNLOGGED TABLE orderdesk.auth_failure_buckets (
    client_ip     text        PRIMARY KEY CHECK (pg_catalog.char_length(client_ip) BETWEEN 1 AND 100),
    failures      integer     NOT NULL CHECK (failures >= 1),
    window_start  timestamptz NOT NULL
);

CREATE INDEX auth_failure_buckets_window_start_idx ON orderdesk.auth_failure_buckets (window_start);

COMMENT ON TABLE orderdesk.auth_failure_buckets IS
    'Failed authentications per client address in fixed one-minute windows, updated by one atomic INSERT ... ON CONFLICT DO UPDATE. A missing row means no recent failures; sweep_expired() deletes rows idle for over an hour.';
COMMENT ON COLUMN orderdesk.auth_failure_buckets.client_ip IS
    'The client address as the server normalised it: an IPv4 address, an IPv6 /64 network, or ''unknown''.';
COMMENT ON COLUMN orderdesk.auth_failure_buckets.failures IS 'Failed attempts since window_start.';
COMMENT ON COLUMN orderdesk.auth_failure_buckets.window_start IS
    'Start of the current window (clock_timestamp() of the first failure in it); a failure after the window ends starts a new one.';

GRANT SELECT, INSERT, UPDATE, DELETE ON orderdesk.auth_failure_buckets TO orderdesk_app;

-- sweep_expired() as in 0008, plus the idle failure counters. Same signature, so grants and
-- callers are unchanged; the result gains one row ('auth_failure_buckets').
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
END
$$;

COMMENT ON FUNCTION orderdesk.sweep_expired(integer) IS
    'Deletes up to p_limit expired rows per table (cache_entries, sessions, magic_links, idle rate_limit_buckets and auth_failure_buckets); returns counts. SECURITY DEFINER.';

RESET ROLE;
