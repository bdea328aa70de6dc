-- 0016: tenant members, the people who may sign in for a tenant by magic link (issue 13).
--
-- The operator manages them with `orderdesk-mcp tenants add-member/remove-member`. The sign-in page
-- knows only an e-mail address before any tenant is known; member_tenants() answers "which active
-- tenants may this address sign in for" and returns no other member's address.
--
-- Addresses are stored normalized by the app (MemberEmail: trimmed, lowercased, ASCII only, the
-- domain in its xn-- form), so equality is a plain text comparison. The CHECK repeats the parts of
-- that rule a bad write could break: printable ASCII (no space, no control character, so no CR/LF
-- can reach an SMTP command), exactly one '@' with both sides non-empty, a local part of at most
-- 64 characters, at most 254 in all (RFC 5321's path limit), and lowercase.
--
-- lock_timeout: the new table locks nothing busy, but the FK takes a lock on tenants, which every
-- authentication reads; fail fast rather than queue logins behind this migration, and run it again.
SET LOCAL ROLE orderdesk_owner;
SET LOCAL lock_timeout = '5s';

CREATE TABLE orderdesk.tenant_members (
    tenant_id   uuid        NOT NULL REFERENCES orderdesk.tenants (id) ON DELETE CASCADE,
    email       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, email),
    CONSTRAINT tenant_members_email_form CHECK (
        pg_catalog.char_length(email) BETWEEN 3 AND 254
        AND email ~ '^[!-~]+$'
        AND email ~ '^[^@]{1,64}@[^@]+$'
        AND email = pg_catalog.lower(email))
);

-- The primary key leads with tenant_id (policies, listing, cascade); the sign-in lookup goes by
-- address across tenants.
CREATE INDEX tenant_members_email_idx ON orderdesk.tenant_members (email);

COMMENT ON TABLE orderdesk.tenant_members IS
    'Who may sign in for which tenant (magic-link web sign-in). Managed with orderdesk-mcp tenants add-member/remove-member.';
COMMENT ON COLUMN orderdesk.tenant_members.email IS
    'Normalized address: trimmed, lowercase, printable ASCII (IDN domains in xn-- form), exactly one @, at most 254 characters.';

ALTER TABLE orderdesk.tenant_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.tenant_members FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_members_app ON orderdesk.tenant_members
    AS PERMISSIVE FOR ALL TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id())
    WITH CHECK (tenant_id = orderdesk.current_tenant_id());

-- For member_tenants(), which runs as the owner before the tenant is known (like
-- master_key_metadata_owner_read for lookup_master_key_v2). SELECT only; the function returns
-- tenant ids and names, never another member's address.
CREATE POLICY tenant_members_owner_read ON orderdesk.tenant_members
    AS PERMISSIVE FOR SELECT TO orderdesk_owner
    USING (true);

-- A membership is added or removed, never edited: to change an address, remove it and add the new one.
GRANT SELECT, INSERT, DELETE ON orderdesk.tenant_members TO orderdesk_app;

-- Sign-in: the active tenants an address may sign in for, by name. p_email must already be
-- normalized (MemberEmail); anything else matches no row. At most 100 rows.
CREATE FUNCTION orderdesk.member_tenants(p_email text)
    RETURNS TABLE (
        tenant_id    uuid,
        tenant_name  text
    )
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $$
    SELECT t.id, t.name
    FROM orderdesk.tenant_members AS m
    JOIN orderdesk.tenants AS t ON t.id = m.tenant_id
    WHERE m.email = p_email AND t.status = 'active'
    ORDER BY t.name, t.id
    LIMIT 100
$$;

COMMENT ON FUNCTION orderdesk.member_tenants(text) IS
    'Pre-tenant sign-in lookup: the active tenants (id, name) a normalized e-mail address is a member of, by name, at most 100. SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.member_tenants(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.member_tenants(text) TO orderdesk_app;

RESET ROLE;
