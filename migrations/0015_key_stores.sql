-- 0015: store-scoped master keys. A key may be limited to some of its tenant's OrderDesk stores
-- (`orderdesk-mcp keys create --store 10001`); NULL means every store, which is what every key
-- written before this migration keeps.
--
-- The limit is by OrderDesk store id (stores.store_id), not by registration uuid: re-registering
-- the same store keeps it usable. Fixed at creation like scopes: to change it, create a new key.
--
-- lookup_master_key_v2 returns the list, so a replica learns it with the key in one round trip.
-- The old lookup_master_key stays for replicas of the previous version during a rolling deploy,
-- and fails closed: it no longer returns a limited key (those replicas would not know the limit
-- and would let the key reach every store), so a limited key is refused as unknown there until
-- the rollout is done. A later migration drops it.
--
-- master_key_metadata is small, but authentication reads it on every cache miss: lock_timeout makes
-- a migration that cannot get its lock fail fast instead of queueing logins behind it; run it again.
SET LOCAL ROLE orderdesk_owner;
SET LOCAL lock_timeout = '5s';

-- A CHECK cannot hold a subquery; this IMMUTABLE function checks every element.
CREATE FUNCTION orderdesk.is_store_id_list(p_ids text[])
    RETURNS boolean
    LANGUAGE sql
    IMMUTABLE
    PARALLEL SAFE
    SET search_path = ''
AS $$
    SELECT pg_catalog.array_ndims(p_ids) = 1
       AND pg_catalog.cardinality(p_ids) BETWEEN 1 AND 100
       AND NOT EXISTS (
           SELECT 1 FROM pg_catalog.unnest(p_ids) AS e(id)
           WHERE e.id IS NULL OR e.id !~ '^[0-9]{1,20}$')
       AND (SELECT pg_catalog.count(DISTINCT e.id) FROM pg_catalog.unnest(p_ids) AS e(id))
           = pg_catalog.cardinality(p_ids)
$$;

COMMENT ON FUNCTION orderdesk.is_store_id_list(text[]) IS
    'CHECK helper: a one-dimensional, non-empty list of at most 100 distinct OrderDesk store ids (^[0-9]{1,20}$).';
REVOKE ALL ON FUNCTION orderdesk.is_store_id_list(text[]) FROM PUBLIC;
-- The CHECK runs with the inserting role's privileges.
GRANT EXECUTE ON FUNCTION orderdesk.is_store_id_list(text[]) TO orderdesk_app;

ALTER TABLE orderdesk.master_key_metadata
    ADD COLUMN store_ids text[],
    ADD CONSTRAINT master_key_metadata_store_ids_check
        CHECK (store_ids IS NULL OR orderdesk.is_store_id_list(store_ids));

COMMENT ON COLUMN orderdesk.master_key_metadata.store_ids IS
    'OrderDesk store ids (stores.store_id) the key may select; NULL = all the tenant''s stores. A limited key cannot register or delete stores. Fixed at creation.';

-- The app already has table-wide SELECT and INSERT (0002), which cover the new column; it gets no
-- UPDATE on it: the limit is fixed at creation.

-- Replicas of the previous version: unchanged columns, but never a limited key.
CREATE OR REPLACE FUNCTION orderdesk.lookup_master_key(p_fingerprint bytea)
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
    WHERE k.fingerprint = p_fingerprint AND k.store_ids IS NULL
$$;

COMMENT ON FUNCTION orderdesk.lookup_master_key(bytea) IS
    'Pre-0015 key lookup, kept for replicas of the previous version during a rolling deploy: never returns a store-limited key (fails closed). Use lookup_master_key_v2. SECURITY DEFINER.';

-- As in 0008, plus store_ids (NULL = every store).
CREATE FUNCTION orderdesk.lookup_master_key_v2(p_fingerprint bytea)
    RETURNS TABLE (
        key_id         uuid,
        tenant_id      uuid,
        key_hash       text,
        scopes         text[],
        revoked        boolean,
        tenant_active  boolean,
        store_ids      text[]
    )
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $$
    SELECT k.id, k.tenant_id, k.key_hash, k.scopes, k.revoked_at IS NOT NULL, t.status = 'active', k.store_ids
    FROM orderdesk.master_key_metadata AS k
    JOIN orderdesk.tenants AS t ON t.id = k.tenant_id
    WHERE k.fingerprint = p_fingerprint
$$;

COMMENT ON FUNCTION orderdesk.lookup_master_key_v2(bytea) IS
    'Pre-tenant key lookup by fingerprint (HMAC-SHA256(pepper, key)); returns at most one row, with the key''s store limit (NULL = all). SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.lookup_master_key_v2(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.lookup_master_key_v2(bytea) TO orderdesk_app;

RESET ROLE;
