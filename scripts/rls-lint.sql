-- Catalog lint for row-level security, roles, ownership and grants. Returns zero rows when the
-- schema is sound. Run as orderdesk_app: psql "$DATABASE_URL" -f scripts/rls-lint.sql
-- (The test suite runs it too: Tests/PostgresTests/RowLevelSecurityTests.swift.)
-- L1 every tenant table (tenants, and every table with a tenant_id column) has RLS enabled and forced,
--    and at least one policy for orderdesk_app
SELECT 'L1 rls' AS lint, c.relname::text AS detail
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'orderdesk' AND c.relkind IN ('r', 'p')
  AND (c.relname = 'tenants'
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
  AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p
                      WHERE p.polrelid = c.oid
                        AND 'orderdesk_app'::regrole = ANY (p.polroles)))
UNION ALL
-- L2 every app policy spells out USING and/or WITH CHECK for the commands it covers
SELECT 'L2 policy clauses', tablename || '.' || policyname
FROM pg_catalog.pg_policies
WHERE schemaname = 'orderdesk' AND 'orderdesk_app' = ANY (roles)
  AND ((cmd IN ('ALL', 'INSERT', 'UPDATE') AND with_check IS NULL)
       OR (cmd IN ('ALL', 'SELECT', 'UPDATE', 'DELETE') AND qual IS NULL))
UNION ALL
-- L3 no policy applies to PUBLIC (every policy names its role)
SELECT 'L3 public policy', tablename || '.' || policyname
FROM pg_catalog.pg_policies
WHERE schemaname = 'orderdesk' AND 'public' = ANY (roles)
UNION ALL
-- L4 every view is security_invoker
SELECT 'L4 definer view', c.relname::text
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'orderdesk' AND c.relkind IN ('v', 'm')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_options_to_table(c.reloptions) o
                  WHERE o.option_name = 'security_invoker'
                    AND pg_catalog.lower(o.option_value) IN ('true', 'on', 'yes', '1'))
UNION ALL
-- L5 the three roles exist; none is SUPERUSER or BYPASSRLS; the owner cannot log in; app and auditor
--    cannot create roles or databases and are not members of a more privileged orderdesk role
SELECT 'L5 role', r.name
FROM (VALUES ('orderdesk_owner'), ('orderdesk_app'), ('orderdesk_auditor')) AS r(name)
LEFT JOIN pg_catalog.pg_roles p ON p.rolname = r.name
WHERE p.oid IS NULL OR p.rolsuper OR p.rolbypassrls
   OR (r.name = 'orderdesk_owner' AND p.rolcanlogin)
   OR (r.name <> 'orderdesk_owner' AND (p.rolcreaterole OR p.rolcreatedb
       OR pg_catalog.pg_has_role(r.name, 'orderdesk_owner', 'MEMBER')))
   OR (r.name = 'orderdesk_auditor' AND pg_catalog.pg_has_role(r.name, 'orderdesk_app', 'MEMBER'))
UNION ALL
-- L6 every object in the schema is owned by orderdesk_owner (and the schema exists)
SELECT 'L6 owner', 'schema orderdesk missing'
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'orderdesk')
UNION ALL
SELECT 'L6 owner', 'schema ' || n.nspname
FROM pg_catalog.pg_namespace n
WHERE n.nspname = 'orderdesk' AND n.nspowner <> 'orderdesk_owner'::regrole
UNION ALL
SELECT 'L6 owner', 'relation ' || c.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'orderdesk' AND c.relowner <> 'orderdesk_owner'::regrole
UNION ALL
SELECT 'L6 owner', 'function ' || p.oid::regprocedure::text
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'orderdesk' AND p.proowner <> 'orderdesk_owner'::regrole
UNION ALL
SELECT 'L6 owner', 'type ' || t.typname
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'orderdesk' AND t.typowner <> 'orderdesk_owner'::regrole
UNION ALL
-- L7 the app never holds TRUNCATE, REFERENCES or TRIGGER, nor UPDATE/DELETE on audit_log
SELECT 'L7 app privilege', c.relname || ' ' || priv.name
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN (VALUES ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')) AS priv(name)
WHERE n.nspname = 'orderdesk' AND c.relkind IN ('r', 'p', 'v', 'm')
  AND (pg_catalog.has_table_privilege('orderdesk_app', c.oid, priv.name)
       OR (priv.name = 'REFERENCES' AND pg_catalog.has_any_column_privilege('orderdesk_app', c.oid, priv.name)))
UNION ALL
SELECT 'L7 app privilege', 'audit_log ' || priv.name
FROM (VALUES ('UPDATE'), ('DELETE')) AS priv(name)
WHERE pg_catalog.has_table_privilege('orderdesk_app', 'orderdesk.audit_log', priv.name)
   OR (priv.name = 'UPDATE' AND pg_catalog.has_any_column_privilege('orderdesk_app', 'orderdesk.audit_log', 'UPDATE'))
UNION ALL
-- L8 the auditor reads only audit_log, the audit views, tenants(id, name, status), webhook_deliveries
-- and webhook_events without its payload, and writes nothing
SELECT 'L8 auditor privilege', c.relname || ' ' || priv.name
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN (VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')) AS priv(name)
WHERE n.nspname = 'orderdesk' AND c.relkind IN ('r', 'p', 'v', 'm')
  AND (pg_catalog.has_table_privilege('orderdesk_auditor', c.oid, priv.name)
       OR (priv.name IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
           AND pg_catalog.has_any_column_privilege('orderdesk_auditor', c.oid, priv.name)))
  AND NOT (priv.name = 'SELECT'
           AND c.relname IN ('audit_log', 'audit_events', 'audit_failures', 'audit_order_history', 'tenants',
                             'webhook_events', 'webhook_deliveries'))
UNION ALL
SELECT 'L8 auditor privilege', 'tenants.' || a.attname
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = 'orderdesk.tenants'::regclass AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attname NOT IN ('id', 'name', 'status')
  AND pg_catalog.has_column_privilege('orderdesk_auditor', a.attrelid, a.attnum, 'SELECT')
UNION ALL
SELECT 'L8 auditor privilege', 'webhook_events.' || a.attname
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = 'orderdesk.webhook_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attname = 'payload'
  AND pg_catalog.has_column_privilege('orderdesk_auditor', a.attrelid, a.attnum, 'SELECT')
UNION ALL
-- L9 functions: SECURITY DEFINER pins search_path; nothing is executable by PUBLIC
SELECT 'L9 function', p.oid::regprocedure::text
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'orderdesk'
  AND ((p.prosecdef AND NOT coalesce('search_path=""' = ANY (p.proconfig), false))
       OR pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE'))
UNION ALL
-- L10 every table with tenant_id has an index leading with tenant_id
SELECT 'L10 tenant index', c.relname::text
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE n.nspname = 'orderdesk' AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum)
UNION ALL
-- L11 a foreign key between tenant tables (other than to tenants) includes tenant_id
SELECT 'L11 composite fk', co.conrelid::regclass::text || ' ' || co.conname
FROM pg_catalog.pg_constraint co
JOIN pg_catalog.pg_namespace n ON n.oid = co.connamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE n.nspname = 'orderdesk' AND co.contype = 'f'
  AND co.confrelid <> 'orderdesk.tenants'::regclass
  AND NOT (a.attnum = ANY (co.conkey))
UNION ALL
-- L12 a partition grants nothing to the app or the auditor: both reach it only through its parent, whose
--     grants and policies are the contract (L1 still wants forced RLS and policies on the partition itself)
SELECT 'L12 partition grant', c.relname || ' ' || r.name
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN (VALUES ('orderdesk_app'), ('orderdesk_auditor')) AS r(name)
WHERE n.nspname = 'orderdesk' AND c.relispartition
  AND (pg_catalog.has_table_privilege(r.name, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
       OR pg_catalog.has_any_column_privilege(r.name, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
UNION ALL
-- L13 the owner inserts audit rows only through append_audit and audit prune: its INSERT policies on
--     audit_log are exactly the prune record's and the writer batch's, and no function but
--     append_audit inserts into audit_log by name (audit_log_writer_batch admits the owner while the
--     transaction-local flag app.audit_batch is on, which any role can set: what keeps the flag
--     honest is that no other owner code inserts there)
SELECT 'L13 audit insert', 'policy ' || pol.polname
FROM pg_catalog.pg_policy pol
WHERE pol.polrelid = 'orderdesk.audit_log'::regclass AND pol.polcmd IN ('a', '*')
  AND 'orderdesk_owner'::regrole = ANY (pol.polroles)
  AND pol.polname NOT IN ('audit_log_owner_prune_record', 'audit_log_writer_batch')
UNION ALL
SELECT 'L13 audit insert', 'function ' || p.oid::regprocedure::text
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'orderdesk' AND p.proname <> 'append_audit'
  AND p.prosrc ~* 'insert\s+into\s+orderdesk\.audit_log\y'
