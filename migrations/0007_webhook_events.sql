-- 0007: order webhooks received from OrderDesk, deduplicated.
SET LOCAL ROLE orderdesk_owner;

CREATE TABLE orderdesk.webhook_events (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    store_id      text        NOT NULL CHECK (store_id ~ '^[0-9]{1,20}$'),
    dedup_key     bytea       NOT NULL CHECK (pg_catalog.octet_length(dedup_key) = 32),
    order_id      text,
    payload       jsonb       NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz,
    status        text        NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processed', 'failed', 'ignored')),
    CONSTRAINT webhook_events_tenant_id_store_id_dedup_key_key UNIQUE (tenant_id, store_id, dedup_key),
    CONSTRAINT webhook_events_tenant_id_id_key UNIQUE (tenant_id, id)
);

CREATE INDEX webhook_events_tenant_id_status_received_at_idx
    ON orderdesk.webhook_events (tenant_id, status, received_at);

COMMENT ON TABLE orderdesk.webhook_events IS
    'Raw inbound OrderDesk webhooks. No foreign key to stores: an event for a store that is not (or no longer) registered is kept as status ignored.';
COMMENT ON COLUMN orderdesk.webhook_events.store_id IS 'OrderDesk store id from the X-ORDER-DESK-STORE-ID header (stores.store_id).';
COMMENT ON COLUMN orderdesk.webhook_events.dedup_key IS
    'SHA-256 of the raw payload; INSERT ... ON CONFLICT DO NOTHING makes redelivery a no-op.';
COMMENT ON COLUMN orderdesk.webhook_events.status IS
    'received (stored, not yet handled), processed, failed, ignored (unknown store or irrelevant event).';

ALTER TABLE orderdesk.webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.webhook_events FORCE ROW LEVEL SECURITY;

CREATE POLICY webhook_events_app ON orderdesk.webhook_events
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

GRANT SELECT, INSERT ON orderdesk.webhook_events TO orderdesk_app;
GRANT UPDATE (status, processed_at) ON orderdesk.webhook_events TO orderdesk_app;

RESET ROLE;
