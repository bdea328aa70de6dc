-- 0002: tenants and their master keys.
SET LOCAL ROLE orderdesk_owner;

CREATE TABLE orderdesk.tenants (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text        NOT NULL CHECK (pg_catalog.length(pg_catalog.btrim(name)) BETWEEN 1 AND 200),
    status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    hkdf_salt   bytea       NOT NULL CHECK (pg_catalog.octet_length(hkdf_salt) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE orderdesk.tenants IS
    'One row per customer. Everything else hangs off tenants.id; RLS shows the app only the current tenant.';
COMMENT ON COLUMN orderdesk.tenants.status IS
    'disabled: every key of the tenant is refused (lookup_master_key reports tenant_active = false); data is kept.';
COMMENT ON COLUMN orderdesk.tenants.hkdf_salt IS
    '32 random bytes; HKDF-SHA256 salt for the tenant''s store-credential key. Never changes: changing it orphans every stores.api_key_ciphertext.';

CREATE TRIGGER tenants_touch_updated_at
    BEFORE UPDATE ON orderdesk.tenants
    FOR EACH ROW EXECUTE FUNCTION orderdesk.touch_updated_at();

ALTER TABLE orderdesk.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.tenants FORCE ROW LEVEL SECURITY;

-- A new tenant is created by choosing its id first, setting app.tenant_id to it, then inserting.
CREATE POLICY tenants_app ON orderdesk.tenants
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (id = orderdesk.current_tenant_id())
    WITH CHECK (id = orderdesk.current_tenant_id());

-- FORCE ROW LEVEL SECURITY applies to the owner too. The only code that runs as the owner is
-- migrations and the SECURITY DEFINER functions of 0008 (lookup_master_key, lookup_session,
-- list_tenants), which must read a tenant's status before any tenant is known. The owner is
-- NOLOGIN, and the policy is SELECT only.
CREATE POLICY tenants_owner_read ON orderdesk.tenants
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (true);

-- No DELETE for the app: tenants are disabled, not deleted (see docs/database.md).
-- hkdf_salt and id are never updated.
GRANT SELECT, INSERT ON orderdesk.tenants TO orderdesk_app;
GRANT UPDATE (name, status, updated_at) ON orderdesk.tenants TO orderdesk_app;


CREATE TABLE orderdesk.master_key_metadata (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    fingerprint     bytea       NOT NULL CHECK (pg_catalog.octet_length(fingerprint) = 32),
    key_hash        text        NOT NULL CHECK (key_hash LIKE '$argon2id$%'),
    prefix          text        NOT NULL CHECK (pg_catalog.char_length(prefix) = 8),
    label           text        CHECK (pg_catalog.char_length(label) <= 200),
    scopes          text[]      NOT NULL DEFAULT '{read,write}'
                                CHECK (scopes <@ '{read,write}'::text[] AND pg_catalog.cardinality(scopes) >= 1),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    revoked_reason  text,
    CONSTRAINT master_key_metadata_fingerprint_key UNIQUE (fingerprint),
    CONSTRAINT master_key_metadata_tenant_id_id_key UNIQUE (tenant_id, id),
    CONSTRAINT master_key_metadata_reason_needs_revocation CHECK (revoked_reason IS NULL OR revoked_at IS NOT NULL)
);

COMMENT ON TABLE orderdesk.master_key_metadata IS
    'One row per master key. The key itself is never stored: only its HMAC fingerprint (lookup) and argon2id hash (verification).';
COMMENT ON COLUMN orderdesk.master_key_metadata.fingerprint IS
    'HMAC-SHA256(MASTER_KEY_PEPPER, key): 32 bytes, unique across all tenants, the O(1) lookup used by lookup_master_key().';
COMMENT ON COLUMN orderdesk.master_key_metadata.key_hash IS
    'argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) of the key.';
COMMENT ON COLUMN orderdesk.master_key_metadata.prefix IS
    'First 8 characters of the key, so humans can tell keys apart in lists and audit rows. Not secret, not unique.';
COMMENT ON COLUMN orderdesk.master_key_metadata.scopes IS
    'Non-empty subset of {read,write}. Fixed at creation: to change scopes, create a new key and revoke this one.';
COMMENT ON COLUMN orderdesk.master_key_metadata.revoked_at IS
    'Set once, never cleared (trigger master_key_metadata_revocation_is_final). Replicas honour it within their cache TTL.';

-- Revocation is final: un-revoking a leaked key by mistake must not be possible.
CREATE FUNCTION orderdesk.forbid_unrevoke()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'master key % is revoked; revocation cannot be changed', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION orderdesk.forbid_unrevoke() IS 'BEFORE UPDATE trigger: a revoked key stays revoked.';
REVOKE ALL ON FUNCTION orderdesk.forbid_unrevoke() FROM PUBLIC;

CREATE TRIGGER master_key_metadata_revocation_is_final
    BEFORE UPDATE OF revoked_at ON orderdesk.master_key_metadata
    FOR EACH ROW EXECUTE FUNCTION orderdesk.forbid_unrevoke();

ALTER TABLE orderdesk.master_key_metadata ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.master_key_metadata FORCE ROW LEVEL SECURITY;

CREATE POLICY master_key_metadata_app ON orderdesk.master_key_metadata
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- For lookup_master_key(), which runs as the owner before the tenant is known (see tenants_owner_read).
CREATE POLICY master_key_metadata_owner_read ON orderdesk.master_key_metadata
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (true);

-- Keys are revoked, never deleted (the audit log refers to them by prefix).
GRANT SELECT, INSERT ON orderdesk.master_key_metadata TO orderdesk_app;
GRANT UPDATE (label, last_used_at, revoked_at, revoked_reason) ON orderdesk.master_key_metadata TO orderdesk_app;

RESET ROLE;
