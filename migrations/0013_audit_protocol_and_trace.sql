-- 0013: which MCP revision each audited request spoke, and the caller's trace context.
--
-- One endpoint serves the stateless revision 2026-07-28 beside the session revisions 2025-03-26 …
-- 2025-11-25, chosen per request; auditors need to tell them apart (a 2026-07-28 row has no
-- session_hash). A caller using OpenTelemetry passes a W3C traceparent in the request's _meta; it is
-- kept so an audit row can be found from a trace and the other way round. Both are NULL on rows
-- written before this migration and on rows that are not about one MCP request (refused logins).
--
-- audit_log takes every tool call's rows and only grows, so this must not hold its lock for long:
-- the columns are added without a default (a catalog change, no rewrite) and their CHECKs NOT VALID,
-- so no existing row is scanned (they are all NULL in the new columns, which the CHECKs allow; new
-- rows are checked). lock_timeout makes a migration that cannot get the lock fail fast instead of
-- queueing every replica's audit writes behind it; run it again.
SET LOCAL ROLE orderdesk_owner;
SET LOCAL lock_timeout = '5s';

ALTER TABLE orderdesk.audit_log
    ADD COLUMN protocol_version text,
    ADD COLUMN traceparent text,
    ADD CONSTRAINT audit_log_protocol_version_check
        CHECK (protocol_version ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') NOT VALID,
    ADD CONSTRAINT audit_log_traceparent_check
        CHECK (traceparent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$') NOT VALID;

COMMENT ON COLUMN orderdesk.audit_log.protocol_version IS
    'MCP revision of the request: 2026-07-28 (stateless, no session) or the session''s negotiated 2025 version.';
COMMENT ON COLUMN orderdesk.audit_log.traceparent IS
    'W3C traceparent the caller sent in _meta (or the traceparent header), normalised; NULL if none or malformed.';

-- The auditor views gain the two columns at the end (CREATE OR REPLACE may only append).
CREATE OR REPLACE VIEW orderdesk.audit_events WITH (security_invoker = true) AS
SELECT a.id,
       a.occurred_at,
       a.tenant_id,
       t.name AS tenant_name,
       a.actor,
       a.action,
       a.store_id,
       a.target,
       a.outcome,
       a.error_code,
       a.duration_ms,
       a.params,
       a.correlation_id,
       a.session_hash,
       a.replica_id,
       a.client_ip,
       a.user_agent,
       a.protocol_version,
       a.traceparent
FROM orderdesk.audit_log AS a
LEFT JOIN orderdesk.tenants AS t ON t.id = a.tenant_id;

CREATE OR REPLACE VIEW orderdesk.audit_failures WITH (security_invoker = true) AS
SELECT *
FROM orderdesk.audit_events
WHERE outcome IN ('error', 'denied', 'rate_limited');

CREATE OR REPLACE VIEW orderdesk.audit_order_history WITH (security_invoker = true) AS
SELECT *
FROM orderdesk.audit_events
WHERE target IS NOT NULL
ORDER BY occurred_at DESC, id DESC;
