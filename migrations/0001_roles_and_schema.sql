-- 0001: the three roles, the orderdesk schema and its default privileges.
--
-- Runs as the migration login: a superuser on a developer machine, or in production a
-- role with CREATEROLE that owns the database. Roles are cluster-global, so every step
-- here must tolerate a second database on the same cluster (roles already present).
-- See docs/database.md for what each role may do.

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'orderdesk_owner') THEN
        CREATE ROLE orderdesk_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'orderdesk_app') THEN
        -- No password here: operators set one (ALTER ROLE orderdesk_app PASSWORD ...).
        CREATE ROLE orderdesk_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'orderdesk_auditor') THEN
        CREATE ROLE orderdesk_auditor LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$roles$;

-- Roles that already existed were created by someone else: refuse to build on them if they
-- would defeat row-level security. Failing here is better than a schema that leaks silently
-- (superusers and BYPASSRLS roles ignore every policy; CREATEROLE can grant itself
-- orderdesk_owner on PostgreSQL 15).
DO $attributes$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT rolname
        FROM pg_catalog.pg_roles
        WHERE rolname IN ('orderdesk_owner', 'orderdesk_app', 'orderdesk_auditor')
          AND (rolsuper OR rolbypassrls
               OR (rolname <> 'orderdesk_owner' AND (rolcreaterole OR rolcreatedb)))
    LOOP
        RAISE EXCEPTION 'role % exists with SUPERUSER, BYPASSRLS, CREATEROLE or CREATEDB', r.rolname
            USING HINT = 'Fix the role attributes (ALTER ROLE ... NOSUPERUSER NOBYPASSRLS ...) and rerun.';
    END LOOP;
    IF pg_catalog.pg_has_role('orderdesk_app', 'orderdesk_owner', 'MEMBER')
       OR pg_catalog.pg_has_role('orderdesk_auditor', 'orderdesk_owner', 'MEMBER')
       OR pg_catalog.pg_has_role('orderdesk_auditor', 'orderdesk_app', 'MEMBER') THEN
        RAISE EXCEPTION 'orderdesk_app or orderdesk_auditor is a member of a more privileged orderdesk role';
    END IF;
END
$attributes$;

-- The migration login must be able to SET ROLE orderdesk_owner. A superuser can already;
-- PostgreSQL 15 does not make the creator of a role a member of it, so grant it explicitly.
-- Also let the owner create the schema in this database.
DO $membership$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        EXECUTE pg_catalog.format('GRANT orderdesk_owner TO %I', current_user);
    END IF;
    EXECUTE pg_catalog.format('GRANT CREATE ON DATABASE %I TO orderdesk_owner', pg_catalog.current_database());
    EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO orderdesk_app, orderdesk_auditor',
                              pg_catalog.current_database());
END
$membership$;

-- The ledger belongs to the migration login (the runner created it). /readyz reads it as
-- the app to check that the schema is current.
GRANT SELECT ON public.schema_migrations TO orderdesk_app;

SET LOCAL ROLE orderdesk_owner;

CREATE SCHEMA orderdesk AUTHORIZATION orderdesk_owner;
COMMENT ON SCHEMA orderdesk IS
    'orderdesk-mcp tables, views and functions; every object is owned by orderdesk_owner (see docs/database.md).';

REVOKE ALL ON SCHEMA orderdesk FROM PUBLIC;
GRANT USAGE ON SCHEMA orderdesk TO orderdesk_app, orderdesk_auditor;

-- New functions are not callable by PUBLIC; each one is granted explicitly. (Schema-scoped
-- default privileges cannot revoke the global default, so this is per-role, not IN SCHEMA.)
ALTER DEFAULT PRIVILEGES FOR ROLE orderdesk_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- The tenant of the current transaction, as set by the server with
-- SELECT set_config('app.tenant_id', $1, true). NULL when no tenant is set (a fresh session,
-- or '' after an earlier transaction set and discarded it), so policies compare to NULL and
-- match no rows instead of raising. A malformed value raises 22P02: fail closed.
--
-- The SQL-standard body is parsed and bound when the function is created, so a caller's
-- search_path cannot redirect it; that is why it needs no SET search_path clause, and
-- leaving the clause off lets the planner inline it into every policy (an index condition,
-- evaluated once per scan instead of a function call per row).
CREATE FUNCTION orderdesk.current_tenant_id()
    RETURNS uuid
    LANGUAGE sql
    STABLE
    PARALLEL SAFE
    RETURN NULLIF(pg_catalog.current_setting('app.tenant_id', true), '')::uuid;

COMMENT ON FUNCTION orderdesk.current_tenant_id() IS
    'Tenant of the current transaction (app.tenant_id, set with set_config(..., true)); NULL when unset.';

REVOKE ALL ON FUNCTION orderdesk.current_tenant_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.current_tenant_id() TO orderdesk_app;

-- Maintains updated_at on tables that have one, so no query has to remember it.
CREATE FUNCTION orderdesk.touch_updated_at()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
BEGIN
    NEW.updated_at := pg_catalog.now();
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION orderdesk.touch_updated_at() IS 'BEFORE UPDATE trigger: sets NEW.updated_at to now().';
REVOKE ALL ON FUNCTION orderdesk.touch_updated_at() FROM PUBLIC;

RESET ROLE;
