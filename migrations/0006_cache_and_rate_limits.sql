-- 0006: the shared response cache and the token buckets. Both are UNLOGGED: they are rebuilt
-- from OrderDesk / refilled from time, so losing them in a crash costs nothing but a cold start,
-- and skipping WAL makes their constant writes cheap. (An unlogged table may reference a
-- permanent one; the reverse is refused.)
SET LOCAL ROLE orderdesk_owner;

CREATE UNLOGGED TABLE orderdesk.cache_entries (
    tenant_id   uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    store_id    uuid        NOT NULL,
    scope       text        NOT NULL CHECK (scope IN ('order', 'order_list', 'store')),
    key         text        NOT NULL CHECK (pg_catalog.char_length(key) BETWEEN 1 AND 1000),
    value       jsonb       NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cache_entries_pkey PRIMARY KEY (tenant_id, store_id, scope, key),
    CONSTRAINT cache_entries_store_fkey FOREIGN KEY (tenant_id, store_id)
        REFERENCES orderdesk.stores (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX cache_entries_expires_at_idx ON orderdesk.cache_entries (expires_at);

COMMENT ON TABLE orderdesk.cache_entries IS
    'OrderDesk responses shared by all replicas. Readers must check expires_at; sweep_expired() deletes stale rows.';
COMMENT ON COLUMN orderdesk.cache_entries.store_id IS 'stores.id (our registration id), not the OrderDesk store id.';
COMMENT ON COLUMN orderdesk.cache_entries.scope IS
    'order: one order; order_list: one list query; store: store settings. A mutation deletes the order and every order_list of the store.';
COMMENT ON COLUMN orderdesk.cache_entries.key IS
    'Identifies the entry within its scope: the order id, or a canonical encoding of every list parameter.';

ALTER TABLE orderdesk.cache_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.cache_entries FORCE ROW LEVEL SECURITY;

CREATE POLICY cache_entries_app ON orderdesk.cache_entries
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- For sweep_expired() only: the owner sees and deletes expired rows and nothing else.
CREATE POLICY cache_entries_owner_sweep_read ON orderdesk.cache_entries
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

CREATE POLICY cache_entries_owner_sweep ON orderdesk.cache_entries
    AS PERMISSIVE FOR DELETE TO orderdesk_owner
    USING (expires_at < pg_catalog.now());

GRANT SELECT, INSERT, UPDATE, DELETE ON orderdesk.cache_entries TO orderdesk_app;


CREATE UNLOGGED TABLE orderdesk.rate_limit_buckets (
    tenant_id   uuid             NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    bucket      text             NOT NULL CHECK (pg_catalog.char_length(bucket) BETWEEN 1 AND 200),
    tokens      double precision NOT NULL CHECK (tokens > '-Infinity' AND tokens < 'Infinity'),
    updated_at  timestamptz      NOT NULL,
    CONSTRAINT rate_limit_buckets_pkey PRIMARY KEY (tenant_id, bucket)
);

CREATE INDEX rate_limit_buckets_updated_at_idx ON orderdesk.rate_limit_buckets (updated_at);

COMMENT ON TABLE orderdesk.rate_limit_buckets IS
    'Token buckets shared by all replicas, refilled lazily from updated_at in one atomic UPDATE/UPSERT. A missing row means a full bucket; sweep_expired() deletes rows idle for over an hour.';
COMMENT ON COLUMN orderdesk.rate_limit_buckets.bucket IS
    '''tenant'' for the tenant''s own limit, ''upstream:<stores.id>'' for the bucket mirroring OrderDesk''s per-store limit.';
COMMENT ON COLUMN orderdesk.rate_limit_buckets.tokens IS 'Tokens left at updated_at (finite; the refill is computed by the caller''s UPDATE).';
COMMENT ON COLUMN orderdesk.rate_limit_buckets.updated_at IS 'When tokens was last computed. Set explicitly by the caller (no default: the refill depends on it).';

ALTER TABLE orderdesk.rate_limit_buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.rate_limit_buckets FORCE ROW LEVEL SECURITY;

CREATE POLICY rate_limit_buckets_app ON orderdesk.rate_limit_buckets
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- For sweep_expired() only: idle for an hour means refilled to full, the same as no row.
CREATE POLICY rate_limit_buckets_owner_sweep_read ON orderdesk.rate_limit_buckets
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (updated_at < pg_catalog.now() - interval '1 hour');

CREATE POLICY rate_limit_buckets_owner_sweep ON orderdesk.rate_limit_buckets
    AS PERMISSIVE FOR DELETE TO orderdesk_owner
    USING (updated_at < pg_catalog.now() - interval '1 hour');

GRANT SELECT, INSERT, UPDATE, DELETE ON orderdesk.rate_limit_buckets TO orderdesk_app;

RESET ROLE;
