-- 0012: per-order update leases, replacing the session-level advisory lock of orders_update.
--
-- An update of one order (fetch → merge → PUT to OrderDesk) must not overlap with another update of
-- the same order on any replica. The advisory lock that did this was held on a pooled connection for
-- the whole upstream call, so a tenant whose OrderDesk answered slowly kept connections of a small
-- pool busy for everyone. A lease is a row instead: taken by one short transaction
-- (INSERT … ON CONFLICT DO UPDATE … WHERE expired) with a random holder token, extended by that
-- token right before each PUT, deleted by it at the end. No connection is held in between.
--
-- A replica that dies holding a lease leaves a row that expires by itself (the lease outlives the
-- longest stretch an update can go without extending it); sweep_expired() removes expired rows.
-- UNLOGGED, like the cache: a crash that loses the rows can only make an update that is still
-- running fail its check before the write (its token is gone), never let two updates write at once.
SET LOCAL ROLE orderdesk_owner;

CREATE UNLOGGED TABLE orderdesk.order_update_leases (
    tenant_id    uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    store_id     uuid        NOT NULL,
    order_id     text        NOT NULL CHECK (pg_catalog.char_length(order_id) BETWEEN 1 AND 64),
    holder       uuid        NOT NULL,
    acquired_at  timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    CONSTRAINT order_update_leases_pkey PRIMARY KEY (tenant_id, store_id, order_id),
    CONSTRAINT order_update_leases_store_fkey FOREIGN KEY (tenant_id, store_id)
        REFERENCES orderdesk.stores (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX order_update_leases_expires_at_idx ON orderdesk.order_update_leases (expires_at);

COMMENT ON TABLE orderdesk.order_update_leases IS
    'One row per order being updated by orders_update (any replica): whoever holds the row may write the order to OrderDesk. Taken when free or expired; sweep_expired() deletes expired rows.';
COMMENT ON COLUMN orderdesk.order_update_leases.store_id IS 'stores.id (our registration id), not the OrderDesk store id.';
COMMENT ON COLUMN orderdesk.order_update_leases.order_id IS 'The OrderDesk order id.';
COMMENT ON COLUMN orderdesk.order_update_leases.holder IS
    'Random token of the update holding the lease; only that update extends or deletes the row.';
COMMENT ON COLUMN orderdesk.order_update_leases.expires_at IS
    'After this the holder is presumed dead and another update may take the lease. Extended before every PUT.';

ALTER TABLE orderdesk.order_update_leases ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.order_update_leases FORCE ROW LEVEL SECURITY;

CREATE POLICY order_update_leases_app ON orderdesk.order_update_leases
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- For sweep_expired() only: the owner sees and deletes expired rows and nothing else.
CREATE POLICY order_update_leases_owner_sweep_read ON orderdesk.order_update_leases
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

CREATE POLICY order_update_leases_owner_sweep ON orderdesk.order_update_leases
    AS PERMISSIVE FOR DELETE TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

-- tenant_id, store_id and order_id identify the lease: never updated.
GRANT SELECT, INSERT, DELETE ON orderdesk.order_update_leases TO orderdesk_app;
GRANT UPDATE (holder, acquired_at, expires_at) ON orderdesk.order_update_leases TO orderdesk_app;


-- sweep_expired() as in 0011, plus expired update leases. Same signature, so grants and callers are
-- unchanged; the result gains one row ('order_update_leases').
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
END
$$;

COMMENT ON FUNCTION orderdesk.sweep_expired(integer) IS
    'Deletes up to p_limit expired rows per table (cache_entries, sessions, magic_links, idle rate_limit_buckets and auth_failure_buckets, order_idempotency_keys, order_update_leases); returns counts. SECURITY DEFINER.';

RESET ROLE;
