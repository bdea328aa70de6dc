-- 0021: the audit writer's batch in one INSERT, whatever its tenants (issue 15, many tenants).
--
-- 0020's append_audit inserted tenant by tenant: for each distinct tenant of the batch it set
-- app.tenant_id, parsed the whole jsonb array again and inserted that tenant's rows. With many
-- tenants on one replica a batch of N rows was N INSERT statements and N parses of the array
-- (3.7 ms for a mixed batch against 1.0 ms for one tenant's, measured in `make bench`).
--
-- The per-tenant setting proved nothing: the function took each row's tenant from the row itself.
-- What keeps a tenant's rows honest is that only the server's audit writer calls the function, with
-- rows it stamped from the authenticated call. So the function now says so: it is SECURITY DEFINER
-- (runs as orderdesk_owner, which owns audit_log), it opens a transaction-local flag, and one narrow
-- owner policy admits INSERTs only while that flag is on. The app role gains nothing it did not have
-- (it could already write any tenant's row through append_audit, and only through it); a plain
-- INSERT by the app is still checked row by row against app.tenant_id, whatever the flag says (the
-- policy is the owner's). Any role can set the flag, so what keeps it honest is that no other owner
-- code inserts into audit_log: scripts/rls-lint.sql L13 fails on any other owner INSERT policy there
-- and on any other function that inserts into it. The append-only guarantees (no UPDATE, DELETE or
-- TRUNCATE for the app) and the auditor views are unchanged.
--
-- The policy is on the partitioned parent: an INSERT through the parent is checked against the
-- parent's policies only, and the function inserts through the parent.
SET LOCAL ROLE orderdesk_owner;

CREATE POLICY audit_log_writer_batch ON orderdesk.audit_log
    AS PERMISSIVE FOR INSERT TO orderdesk_owner
    WITH CHECK (pg_catalog.current_setting('app.audit_batch', true) = 'on');

COMMENT ON POLICY audit_log_writer_batch ON orderdesk.audit_log IS
    'The audit writer''s batch (orderdesk.append_audit, SECURITY DEFINER): the owner may INSERT only while that function has app.audit_batch on for its own transaction.';

CREATE OR REPLACE FUNCTION orderdesk.append_audit(p_rows jsonb)
    RETURNS integer
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = ''
AS $$
DECLARE
    v_written integer;
BEGIN
    IF pg_catalog.jsonb_typeof(p_rows) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'append_audit expects a jsonb array of rows' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_catalog.set_config('app.audit_batch', 'on', true);
    INSERT INTO orderdesk.audit_log (tenant_id, correlation_id, session_hash, replica_id, actor, action,
                                     store_id, target, params, outcome, error_code, duration_ms, client_ip,
                                     user_agent, protocol_version, traceparent)
    SELECT r.tenant_id, r.correlation_id, r.session_hash, r.replica_id, r.actor, r.action,
           r.store_id, r.target, r.params, r.outcome, r.error_code, r.duration_ms, r.client_ip,
           r.user_agent, r.protocol_version, r.traceparent
    FROM ROWS FROM (pg_catalog.jsonb_populate_recordset(NULL::orderdesk.audit_log, p_rows)) WITH ORDINALITY AS r
    ORDER BY r.ordinality;
    GET DIAGNOSTICS v_written = ROW_COUNT;
    PERFORM pg_catalog.set_config('app.audit_batch', '', true);
    RETURN v_written;
END
$$;

COMMENT ON FUNCTION orderdesk.append_audit(jsonb) IS
    'The audit writer''s batch: appends the jsonb rows (keys = audit_log columns, any tenants) in one INSERT, in array order, while app.audit_batch is on for its own transaction (policy audit_log_writer_batch). id and occurred_at are the table''s defaults. Returns the rows written. SECURITY DEFINER; executable by orderdesk_app only.';

REVOKE ALL ON FUNCTION orderdesk.append_audit(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.append_audit(jsonb) TO orderdesk_app;

RESET ROLE;
