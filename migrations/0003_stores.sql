-- 0003: OrderDesk stores registered by a tenant, with their API key encrypted at rest.
SET LOCAL ROLE orderdesk_owner;

CREATE TABLE orderdesk.stores (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    store_id            text        NOT NULL CHECK (store_id ~ '^[0-9]{1,20}$'),
    name                text        NOT NULL CHECK (pg_catalog.length(pg_catalog.btrim(name)) BETWEEN 1 AND 100),
    label               text        CHECK (pg_catalog.char_length(label) <= 200),
    api_key_ciphertext  bytea       NOT NULL CHECK (pg_catalog.octet_length(api_key_ciphertext) BETWEEN 1 AND 1024),
    api_key_tag         bytea       NOT NULL CHECK (pg_catalog.octet_length(api_key_tag) = 16),
    api_key_nonce       bytea       NOT NULL CHECK (pg_catalog.octet_length(api_key_nonce) = 12),
    key_version         integer     NOT NULL DEFAULT 1 CHECK (key_version >= 1),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stores_tenant_id_store_id_key UNIQUE (tenant_id, store_id),
    CONSTRAINT stores_tenant_id_id_key UNIQUE (tenant_id, id)
);

-- Names are unique per tenant, ignoring case, so "Main" and "main" cannot both resolve.
CREATE UNIQUE INDEX stores_tenant_id_lower_name_key ON orderdesk.stores (tenant_id, pg_catalog.lower(name));

COMMENT ON TABLE orderdesk.stores IS
    'OrderDesk stores registered by a tenant. The OrderDesk API key is stored only as AES-256-GCM ciphertext.';
COMMENT ON COLUMN orderdesk.stores.id IS
    'Our id for the registration (part of the GCM AAD); other tables refer to a store by (tenant_id, id).';
COMMENT ON COLUMN orderdesk.stores.store_id IS
    'OrderDesk''s numeric store id (sent as the ORDERDESK-STORE-ID header). Unique per tenant.';
COMMENT ON COLUMN orderdesk.stores.name IS
    'Human name used by stores_use_store / the store argument; unique per tenant, case-insensitive (index stores_tenant_id_lower_name_key).';
COMMENT ON COLUMN orderdesk.stores.api_key_ciphertext IS
    'AES-256-GCM ciphertext of the OrderDesk API key under the tenant key HKDF(ENCRYPTION_KEY[key_version], tenants.hkdf_salt); AAD = tenant_id || id || key_version.';
COMMENT ON COLUMN orderdesk.stores.api_key_tag IS '128-bit GCM authentication tag.';
COMMENT ON COLUMN orderdesk.stores.api_key_nonce IS '96-bit random GCM nonce, new for every encryption.';
COMMENT ON COLUMN orderdesk.stores.key_version IS
    'Which server encryption key (ENCRYPTION_KEYS v<n>) encrypted this row; rotation re-encrypts and bumps it.';

CREATE TRIGGER stores_touch_updated_at
    BEFORE UPDATE ON orderdesk.stores
    FOR EACH ROW EXECUTE FUNCTION orderdesk.touch_updated_at();

ALTER TABLE orderdesk.stores ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.stores FORCE ROW LEVEL SECURITY;

CREATE POLICY stores_app ON orderdesk.stores
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- id, tenant_id and store_id identify the registration (and id is in the AAD): never updated.
GRANT SELECT, INSERT, DELETE ON orderdesk.stores TO orderdesk_app;
GRANT UPDATE (name, label, api_key_ciphertext, api_key_tag, api_key_nonce, key_version, updated_at)
    ON orderdesk.stores TO orderdesk_app;

RESET ROLE;
