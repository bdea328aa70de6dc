-- 0014: the OrderDesk webhook receiver (POST /webhooks/orderdesk).
--
-- OrderDesk's "Post Order JSON" rule action sends only the store id and an HMAC of the order keyed
-- with the store's API key. Before it knows the tenant, the receiver must find every tenant that
-- registered that store id (several may have), then verify the HMAC under each tenant's own RLS
-- scope, where the encrypted key lives. webhook_registrations answers the first step and returns no
-- secret: only which (tenant, store row) pairs to try.
SET LOCAL ROLE orderdesk_owner;
SET LOCAL lock_timeout = '5s';

-- stores is keyed (tenant_id, store_id); the cross-tenant lookup by store id needs its own index.
CREATE INDEX stores_store_id_idx ON orderdesk.stores (store_id);

-- For webhook_registrations(), which runs as the owner before the tenant is known (like
-- lookup_master_key and master_key_metadata_owner_read). FORCE RLS applies to the owner; the
-- function returns only the ids, never the encrypted key columns.
CREATE POLICY stores_owner_read ON orderdesk.stores
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (true);

CREATE FUNCTION orderdesk.webhook_registrations(p_store_id text)
    RETURNS TABLE (
        tenant_id     uuid,
        store_row_id  uuid
    )
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $$
    SELECT s.tenant_id, s.id
    FROM orderdesk.stores AS s
    JOIN orderdesk.tenants AS t ON t.id = s.tenant_id
    WHERE s.store_id = p_store_id AND t.status = 'active'
    ORDER BY s.created_at, s.id
    LIMIT 64
$$;

COMMENT ON FUNCTION orderdesk.webhook_registrations(text) IS
    'Pre-tenant lookup for webhooks: the active tenants'' registrations of an OrderDesk store id (no secrets, at most 64). SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.webhook_registrations(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.webhook_registrations(text) TO orderdesk_app;

-- Auditors see that webhooks arrived and what became of them, never the payload (customer names,
-- addresses and e-mails are in it).
CREATE POLICY webhook_events_auditor_read ON orderdesk.webhook_events
    AS PERMISSIVE FOR SELECT TO orderdesk_auditor
    USING (true);
GRANT SELECT (id, tenant_id, store_id, dedup_key, order_id, received_at, processed_at, status)
    ON orderdesk.webhook_events TO orderdesk_auditor;

CREATE VIEW orderdesk.webhook_deliveries WITH (security_invoker = true) AS
SELECT w.id,
       w.received_at,
       w.processed_at,
       w.tenant_id,
       t.name AS tenant_name,
       w.store_id,
       w.order_id,
       w.status,
       pg_catalog.encode(w.dedup_key, 'hex') AS payload_sha256
FROM orderdesk.webhook_events AS w
LEFT JOIN orderdesk.tenants AS t ON t.id = w.tenant_id;

COMMENT ON VIEW orderdesk.webhook_deliveries IS
    'Stored OrderDesk webhooks (one row per distinct payload per tenant registration) without their payload.';
GRANT SELECT ON orderdesk.webhook_deliveries TO orderdesk_auditor;

RESET ROLE;
