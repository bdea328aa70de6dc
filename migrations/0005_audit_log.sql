-- 0005: the append-only audit log ("who did what to which order, when").
SET LOCAL ROLE orderdesk_owner;

CREATE TABLE orderdesk.audit_log (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- RESTRICT, not CASCADE: deleting a tenant must not silently erase its audit trail.
    -- An operator deletes or archives the tenant's audit rows first (docs/database.md).
    tenant_id       uuid        REFERENCES orderdesk.tenants (id) ON DELETE RESTRICT,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    correlation_id  text        NOT NULL CHECK (pg_catalog.char_length(correlation_id) BETWEEN 1 AND 200),
    session_hash    text,
    replica_id      text,
    actor           text,
    action          text        NOT NULL CHECK (pg_catalog.char_length(action) BETWEEN 1 AND 100),
    store_id        text,
    target          text,
    params          jsonb       NOT NULL DEFAULT '{}' CHECK (pg_catalog.jsonb_typeof(params) = 'object'),
    outcome         text        NOT NULL CHECK (outcome IN ('ok', 'error', 'denied', 'rate_limited', 'started')),
    error_code      text,
    duration_ms     integer     CHECK (duration_ms >= 0),
    client_ip       inet,
    user_agent      text
);

CREATE INDEX audit_log_tenant_id_occurred_at_idx ON orderdesk.audit_log (tenant_id, occurred_at DESC);
CREATE INDEX audit_log_tenant_id_action_occurred_at_idx ON orderdesk.audit_log (tenant_id, action, occurred_at DESC);
CREATE INDEX audit_log_correlation_id_idx ON orderdesk.audit_log (correlation_id);
-- Rows arrive in time order, so a BRIN index serves auditors' time-range scans at almost no cost.
CREATE INDEX audit_log_occurred_at_brin ON orderdesk.audit_log USING brin (occurred_at);

COMMENT ON TABLE orderdesk.audit_log IS
    'Append-only: the app may INSERT and SELECT, never UPDATE, DELETE or TRUNCATE. A mutation writes a "started" row before it goes upstream and a second row with its outcome.';
COMMENT ON COLUMN orderdesk.audit_log.tenant_id IS
    'NULL only for events with no tenant, e.g. a failed login with an unknown key.';
COMMENT ON COLUMN orderdesk.audit_log.correlation_id IS
    'Request id shared by every row and log line of one request (and by the started/finished pair of a mutation).';
COMMENT ON COLUMN orderdesk.audit_log.session_hash IS 'Hex SHA-256 of the MCP session id (sessions.id_hash), if any.';
COMMENT ON COLUMN orderdesk.audit_log.replica_id IS 'Which serve replica handled the request.';
COMMENT ON COLUMN orderdesk.audit_log.actor IS
    'Who: the master key prefix (master_key_metadata.prefix), or ''cli'' for operator commands.';
COMMENT ON COLUMN orderdesk.audit_log.action IS
    'Tool name (orders_update), or an auth.* / cli.* event name.';
COMMENT ON COLUMN orderdesk.audit_log.store_id IS 'OrderDesk store id (stores.store_id) the action targeted, if any.';
COMMENT ON COLUMN orderdesk.audit_log.target IS 'The object acted on, usually an OrderDesk order id.';
COMMENT ON COLUMN orderdesk.audit_log.params IS 'Tool arguments after redaction (no API keys, master keys, tokens or passwords).';
COMMENT ON COLUMN orderdesk.audit_log.outcome IS
    'started (mutation about to be sent), ok, error, denied (authn/authz), rate_limited.';
COMMENT ON COLUMN orderdesk.audit_log.error_code IS 'Stable tool error code (validation_error, not_found, upstream_error, ...) when outcome is not ok.';

ALTER TABLE orderdesk.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.audit_log FORCE ROW LEVEL SECURITY;

CREATE POLICY audit_log_app_select ON orderdesk.audit_log
    AS PERMISSIVE FOR SELECT TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id());

-- A row belongs to the current tenant, or has no tenant when none is set (failed logins).
CREATE POLICY audit_log_app_insert ON orderdesk.audit_log
    AS PERMISSIVE FOR INSERT TO orderdesk_app
    WITH CHECK (tenant_id = orderdesk.current_tenant_id()
                OR (tenant_id IS NULL AND orderdesk.current_tenant_id() IS NULL));

-- Auditors read every tenant's history (through the views of 0008).
CREATE POLICY audit_log_auditor_select ON orderdesk.audit_log
    AS PERMISSIVE FOR SELECT TO orderdesk_auditor
    USING (true);

GRANT SELECT, INSERT ON orderdesk.audit_log TO orderdesk_app;
GRANT SELECT ON orderdesk.audit_log TO orderdesk_auditor;

RESET ROLE;
