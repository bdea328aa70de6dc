-- 0011: idempotent order creation, and the cache's invalidation marker.
--
-- orders_create with an idempotency_key first reserves the key here ('pending'), then calls
-- OrderDesk, then stores the created order ('completed'). A retry with the same key and body gets
-- the stored order back for 24 hours; a retry while the first call is still running waits for it.
-- The table is LOGGED (unlike the cache): losing it in a crash would let a retry create a second
-- order.
SET LOCAL ROLE orderdesk_owner;

CREATE TABLE orderdesk.order_idempotency_keys (
    tenant_id     uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    store_id      uuid        NOT NULL,
    key_hash      bytea       NOT NULL CHECK (pg_catalog.octet_length(key_hash) = 32),
    request_hash  bytea       NOT NULL CHECK (pg_catalog.octet_length(request_hash) = 32),
    status        text        NOT NULL CHECK (status IN ('pending', 'completed')),
    attempt_id    uuid        NOT NULL,
    lease_until   timestamptz,
    order_id      text        CHECK (pg_catalog.char_length(order_id) BETWEEN 1 AND 64),
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    CONSTRAINT order_idempotency_keys_pkey PRIMARY KEY (tenant_id, store_id, key_hash),
    CONSTRAINT order_idempotency_keys_store_fkey FOREIGN KEY (tenant_id, store_id)
        REFERENCES orderdesk.stores (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT order_idempotency_keys_pending_lease CHECK (status <> 'pending' OR lease_until IS NOT NULL),
    CONSTRAINT order_idempotency_keys_completed_response
        CHECK (status <> 'completed' OR (response IS NOT NULL AND pg_catalog.jsonb_typeof(response) = 'object'))
);

CREATE INDEX order_idempotency_keys_expires_at_idx ON orderdesk.order_idempotency_keys (expires_at);

COMMENT ON TABLE orderdesk.order_idempotency_keys IS
    'orders_create idempotency keys per store: the first result is replayed for a retry with the same key and body until expires_at (24 h).';
COMMENT ON COLUMN orderdesk.order_idempotency_keys.store_id IS 'stores.id (our registration id), not the OrderDesk store id.';
COMMENT ON COLUMN orderdesk.order_idempotency_keys.key_hash IS
    'SHA-256 of the client''s idempotency key (any length; the key itself is not kept).';
COMMENT ON COLUMN orderdesk.order_idempotency_keys.request_hash IS
    'SHA-256 of the order body as canonical JSON (sorted keys): the same key with another body is refused.';
COMMENT ON COLUMN orderdesk.order_idempotency_keys.status IS
    'pending: a create with this key is running (until lease_until); completed: response holds the created order.';
COMMENT ON COLUMN orderdesk.order_idempotency_keys.attempt_id IS
    'Which attempt holds the reservation; only that attempt completes or releases it.';
COMMENT ON COLUMN orderdesk.order_idempotency_keys.lease_until IS
    'A pending reservation older than this belongs to a request that died (it outlived the upstream deadline) and may be taken over.';

ALTER TABLE orderdesk.order_idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.order_idempotency_keys FORCE ROW LEVEL SECURITY;

CREATE POLICY order_idempotency_keys_app ON orderdesk.order_idempotency_keys
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- For sweep_expired() only: the owner sees and deletes expired rows and nothing else.
CREATE POLICY order_idempotency_keys_owner_sweep_read ON orderdesk.order_idempotency_keys
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

CREATE POLICY order_idempotency_keys_owner_sweep ON orderdesk.order_idempotency_keys
    AS PERMISSIVE FOR DELETE TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

-- tenant_id, store_id and key_hash identify the reservation: never updated.
GRANT SELECT, INSERT, DELETE ON orderdesk.order_idempotency_keys TO orderdesk_app;
GRANT UPDATE (request_hash, status, attempt_id, lease_until, order_id, response, created_at, expires_at)
    ON orderdesk.order_idempotency_keys TO orderdesk_app;


-- The cache's invalidation marker: one row per store (scope 'invalidation', key 'store') whose
-- created_at is the time of the store's last mutation. A read that started before it must not
-- write what it fetched (it may be the pre-mutation order), which closes the race between a slow
-- read-through and a concurrent invalidation.
ALTER TABLE orderdesk.cache_entries DROP CONSTRAINT cache_entries_scope_check;
ALTER TABLE orderdesk.cache_entries ADD CONSTRAINT cache_entries_scope_check
    CHECK (scope IN ('order', 'order_list', 'store', 'invalidation'));

COMMENT ON COLUMN orderdesk.cache_entries.scope IS
    'order: one order; order_list: one list query; store: store settings; invalidation: the store''s last-mutation marker (created_at). A mutation deletes the order and every order_list of the store and moves the marker.';


-- sweep_expired() as in 0009, plus expired idempotency keys. Same signature, so grants and callers
-- are unchanged; the result gains one row ('order_idempotency_keys').
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
END
$$;

COMMENT ON FUNCTION orderdesk.sweep_expired(integer) IS
    'Deletes up to p_limit expired rows per table (cache_entries, sessions, magic_links, idle rate_limit_buckets and auth_failure_buckets, order_idempotency_keys); returns counts. SECURITY DEFINER.';

RESET ROLE;
