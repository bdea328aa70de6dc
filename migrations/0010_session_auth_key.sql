-- 0010: which master key authenticated a session that uses session authentication
-- (tenant_use_master_key), so its scopes apply and revoking the key ends the session's access.
SET LOCAL ROLE orderdesk_owner;

ALTER TABLE orderdesk.sessions ADD COLUMN auth_key_id uuid;

-- Composite, so a session can only point at a key of its own tenant.
ALTER TABLE orderdesk.sessions ADD CONSTRAINT sessions_auth_key_fkey
    FOREIGN KEY (tenant_id, auth_key_id) REFERENCES orderdesk.master_key_metadata (tenant_id, id)
    ON DELETE SET NULL (auth_key_id);

ALTER TABLE orderdesk.sessions ADD CONSTRAINT sessions_auth_key_needs_tenant
    CHECK (auth_key_id IS NULL OR tenant_id IS NOT NULL);

COMMENT ON COLUMN orderdesk.sessions.auth_key_id IS
    'The master key given to tenant_use_master_key; its scopes and revocation govern requests authorized by the session id alone.';

-- Column grants made in 0004 do not cover a new column.
GRANT UPDATE (auth_key_id) ON orderdesk.sessions TO orderdesk_app;

RESET ROLE;
