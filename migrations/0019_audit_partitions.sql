-- 0019: audit_log becomes a table partitioned by month (native RANGE partitioning on occurred_at),
-- so that years of traffic stay cheap to write and old months leave as whole tables
-- (`orderdesk-mcp audit prune`, docs/audit.md#retention) instead of by DELETE.
--
-- The populated table is converted in this transaction without losing a row: it is set aside under
-- another name, the partitioned table is built with the same columns, defaults and CHECKs, one
-- partition per month from the oldest row's to three months ahead (plus DEFAULT), every row is
-- copied with its id, the identity sequence continues where the old one stopped, the count is
-- checked, and the old table is dropped. The grants (INSERT and SELECT for the app, never UPDATE,
-- DELETE or TRUNCATE), RLS and the auditor views come back unchanged in shape.
--
-- The copy holds an ACCESS EXCLUSIVE lock on audit_log: audit writes wait for it (docs/database.md
-- gives the measured copy rate). lock_timeout makes the migration fail fast instead of queueing
-- every replica's writes behind a long auditor query; run it again.
--
-- Months are UTC months. The DEFAULT partition stays empty in normal operation: partitions are
-- created three months ahead (here, by every `migrate up`, and hourly by each replica), and it only
-- exists so that an audit write never fails for want of a partition (a mutation whose `started` row
-- cannot be written is not sent). create_audit_partition moves rows it holds into the month they
-- belong to.
SET LOCAL ROLE orderdesk_owner;
SET LOCAL lock_timeout = '5s';

-- The old table, set aside. The views follow a renamed table, so they go now and come back below.
LOCK TABLE orderdesk.audit_log IN ACCESS EXCLUSIVE MODE;
DROP VIEW orderdesk.audit_order_history, orderdesk.audit_failures, orderdesk.audit_events;
ALTER TABLE orderdesk.audit_log RENAME TO audit_log_0018;
ALTER TABLE orderdesk.audit_log_0018 RENAME CONSTRAINT audit_log_pkey TO audit_log_0018_pkey;
ALTER SEQUENCE orderdesk.audit_log_id_seq RENAME TO audit_log_0018_id_seq;
DROP INDEX orderdesk.audit_log_tenant_id_occurred_at_idx, orderdesk.audit_log_tenant_id_action_occurred_at_idx,
    orderdesk.audit_log_correlation_id_idx, orderdesk.audit_log_occurred_at_brin;
-- The owner has no SELECT policy on audit_log: unforced, it reads every row for the copy.
ALTER TABLE orderdesk.audit_log_0018 NO FORCE ROW LEVEL SECURITY;

-- Same columns, order, defaults and constraints (by name) as 0005 + 0013; the 0013 CHECKs are valid
-- here (every older row is NULL in those columns). The primary key must contain the partition key; ids stay
-- unique because only the identity hands them out (GENERATED ALWAYS).
CREATE TABLE orderdesk.audit_log (
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id       uuid        CONSTRAINT audit_log_tenant_id_fkey
        REFERENCES orderdesk.tenants (id) ON DELETE RESTRICT,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    correlation_id  text        NOT NULL CONSTRAINT audit_log_correlation_id_check
        CHECK (pg_catalog.char_length(correlation_id) BETWEEN 1 AND 200),
    session_hash    text,
    replica_id      text,
    actor           text,
    action          text        NOT NULL CONSTRAINT audit_log_action_check
        CHECK (pg_catalog.char_length(action) BETWEEN 1 AND 100),
    store_id        text,
    target          text,
    params          jsonb       NOT NULL DEFAULT '{}' CONSTRAINT audit_log_params_check
        CHECK (pg_catalog.jsonb_typeof(params) = 'object'),
    outcome         text        NOT NULL CONSTRAINT audit_log_outcome_check
        CHECK (outcome IN ('ok', 'error', 'denied', 'rate_limited', 'started')),
    error_code      text,
    duration_ms     integer     CONSTRAINT audit_log_duration_ms_check CHECK (duration_ms >= 0),
    client_ip       inet,
    user_agent      text,
    protocol_version text       CONSTRAINT audit_log_protocol_version_check
        CHECK (protocol_version ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    traceparent     text        CONSTRAINT audit_log_traceparent_check
        CHECK (traceparent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$')
) PARTITION BY RANGE (occurred_at);

-- RLS of a partition: the parent's policies apply to everything read or written through the
-- parent; these apply if anyone ever queries a partition directly (nobody but the owner is granted
-- one, lint L12).
CREATE FUNCTION orderdesk.protect_audit_partition(p_partition regclass)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = ''
AS $$
BEGIN
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_partition);
    EXECUTE pg_catalog.format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_partition);
    EXECUTE pg_catalog.format(
        'CREATE POLICY audit_log_app_select ON %s AS PERMISSIVE FOR SELECT TO orderdesk_app'
        ' USING (tenant_id = orderdesk.current_tenant_id())', p_partition);
    EXECUTE pg_catalog.format(
        'CREATE POLICY audit_log_app_insert ON %s AS PERMISSIVE FOR INSERT TO orderdesk_app'
        ' WITH CHECK (tenant_id = orderdesk.current_tenant_id()'
        ' OR (tenant_id IS NULL AND orderdesk.current_tenant_id() IS NULL))', p_partition);
    EXECUTE pg_catalog.format(
        'CREATE POLICY audit_log_auditor_select ON %s AS PERMISSIVE FOR SELECT TO orderdesk_auditor'
        ' USING (true)', p_partition);
END
$$;

COMMENT ON FUNCTION orderdesk.protect_audit_partition(regclass) IS
    'Enables and forces RLS on an audit_log partition, with the parent''s app and auditor policies. Owner only.';

-- Creates the partition of the UTC month containing p_month, named audit_log_YYYY_MM, unless it
-- exists; returns its name, or NULL when it existed. Built beside the parent and attached, which
-- locks the parent only in SHARE UPDATE EXCLUSIVE mode (audit writes and reads go on); rows of that
-- month in DEFAULT move into it first (ATTACH would refuse them).
CREATE FUNCTION orderdesk.create_audit_partition(p_month date)
    RETURNS text
    LANGUAGE plpgsql
    SET search_path = ''
    SET TimeZone = 'UTC'
AS $$
DECLARE
    v_start date := pg_catalog.date_trunc('month', p_month)::date;
    v_name  text := 'audit_log_' || pg_catalog.to_char(v_start, 'YYYY_MM');
    v_from  timestamptz := v_start::timestamp AT TIME ZONE 'UTC';
    v_to    timestamptz := (v_start + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF pg_catalog.to_regclass('orderdesk.' || v_name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE pg_catalog.format(
        'CREATE TABLE orderdesk.%I (LIKE orderdesk.audit_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', v_name);
    ALTER TABLE orderdesk.audit_log_default NO FORCE ROW LEVEL SECURITY;
    EXECUTE pg_catalog.format(
        'WITH moved AS (DELETE FROM orderdesk.audit_log_default WHERE occurred_at >= $1 AND occurred_at < $2'
        ' RETURNING *) INSERT INTO orderdesk.%I SELECT * FROM moved', v_name) USING v_from, v_to;
    ALTER TABLE orderdesk.audit_log_default FORCE ROW LEVEL SECURITY;
    EXECUTE pg_catalog.format('ALTER TABLE orderdesk.audit_log ATTACH PARTITION orderdesk.%I FOR VALUES FROM (%L) TO (%L)',
                              v_name, v_from, v_to);
    PERFORM orderdesk.protect_audit_partition(pg_catalog.format('orderdesk.%I', v_name)::regclass);
    RETURN v_name;
END
$$;

COMMENT ON FUNCTION orderdesk.create_audit_partition(date) IS
    'Creates the audit_log partition of p_month''s UTC month (audit_log_YYYY_MM) unless it exists; returns its name or NULL. Owner only.';

-- Called by every replica hourly and by `migrate up`: the current UTC month and p_months_ahead
-- more. Concurrent callers do not wait for each other: one creates, the others return nothing.
CREATE FUNCTION orderdesk.ensure_audit_partitions(p_months_ahead integer)
    RETURNS SETOF text
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = ''
    SET lock_timeout = '5s'
AS $$
DECLARE
    v_first date := pg_catalog.date_trunc('month', pg_catalog.now() AT TIME ZONE 'UTC')::date;
    v_name  text;
BEGIN
    IF p_months_ahead IS NULL OR p_months_ahead NOT BETWEEN 0 AND 36 THEN
        RAISE EXCEPTION 'p_months_ahead must be between 0 and 36' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('orderdesk-mcp/audit-partitions')) THEN
        RETURN;
    END IF;
    FOR i IN 0..p_months_ahead LOOP
        v_name := orderdesk.create_audit_partition((v_first + pg_catalog.make_interval(months => i))::date);
        IF v_name IS NOT NULL THEN
            RETURN NEXT v_name;
        END IF;
    END LOOP;
END
$$;

COMMENT ON FUNCTION orderdesk.ensure_audit_partitions(integer) IS
    'Creates the missing audit_log partitions of this UTC month and the next p_months_ahead (0-36); returns their names. SECURITY DEFINER.';
REVOKE ALL ON FUNCTION orderdesk.ensure_audit_partitions(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION orderdesk.ensure_audit_partitions(integer) TO orderdesk_app;

-- Retention (`orderdesk-mcp audit prune`, run as the migration login): detaches and drops every
-- monthly partition that ends at or before now() - p_older_than_days, oldest first, or with
-- p_dry_run only lists them. Never DEFAULT (it has no range), never a month younger than 31 days.
-- Not SECURITY DEFINER and granted to nobody: the app must never be able to shorten the log.
CREATE FUNCTION orderdesk.prune_audit_partitions(p_older_than_days integer, p_dry_run boolean)
    RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = ''
    SET TimeZone = 'UTC'
    SET lock_timeout = '5s'
AS $$
DECLARE
    v_cutoff timestamptz;
    r        record;
BEGIN
    IF p_older_than_days IS NULL OR p_older_than_days < 31 OR p_dry_run IS NULL THEN
        RAISE EXCEPTION 'audit partitions younger than 31 days are never pruned'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_cutoff := pg_catalog.now() - pg_catalog.make_interval(days => p_older_than_days);
    FOR r IN
        SELECT c.oid::regclass AS part, c.relname::text AS name, m[1]::timestamptz AS lo, m[2]::timestamptz AS hi
        FROM pg_catalog.pg_inherits AS i
        JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
        CROSS JOIN LATERAL pg_catalog.regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                                                   '^FOR VALUES FROM \(''([^'']+)''\) TO \(''([^'']+)''\)$') AS m
        WHERE i.inhparent = 'orderdesk.audit_log'::regclass AND m IS NOT NULL AND m[2]::timestamptz <= v_cutoff
        ORDER BY 3
    LOOP
        IF NOT p_dry_run THEN
            EXECUTE pg_catalog.format('ALTER TABLE orderdesk.audit_log DETACH PARTITION %s', r.part);
            EXECUTE pg_catalog.format('DROP TABLE %s', r.part);
        END IF;
        partition_name := r.name;
        range_start := r.lo;
        range_end := r.hi;
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION orderdesk.prune_audit_partitions(integer, boolean) IS
    'Detaches and drops audit_log partitions wholly older than p_older_than_days (>= 31), or lists them (dry run). Owner only.';

-- The partitions: DEFAULT, then every month from the oldest row's (or this one) to the newest
-- row's (or this one), then three months ahead.
CREATE TABLE orderdesk.audit_log_default PARTITION OF orderdesk.audit_log DEFAULT;
SELECT orderdesk.protect_audit_partition('orderdesk.audit_log_default');
SELECT orderdesk.create_audit_partition(m::date)
FROM pg_catalog.generate_series(
    pg_catalog.date_trunc('month', LEAST(pg_catalog.now(), (SELECT min(occurred_at) FROM orderdesk.audit_log_0018))
                                   AT TIME ZONE 'UTC'),
    pg_catalog.date_trunc('month', GREATEST(pg_catalog.now(), (SELECT max(occurred_at) FROM orderdesk.audit_log_0018))
                                   AT TIME ZONE 'UTC'),
    interval '1 month') AS m;
SELECT orderdesk.ensure_audit_partitions(3);

-- Every row, with its id, in time order (so each month's BRIN ranges are tight).
INSERT INTO orderdesk.audit_log (id, tenant_id, occurred_at, correlation_id, session_hash, replica_id, actor, action,
                                 store_id, target, params, outcome, error_code, duration_ms, client_ip, user_agent,
                                 protocol_version, traceparent)
OVERRIDING SYSTEM VALUE
SELECT id, tenant_id, occurred_at, correlation_id, session_hash, replica_id, actor, action,
       store_id, target, params, outcome, error_code, duration_ms, client_ip, user_agent, protocol_version, traceparent
FROM orderdesk.audit_log_0018
ORDER BY occurred_at, id;

DO $check$
DECLARE
    v_old bigint := (SELECT count(*) FROM orderdesk.audit_log_0018);
    v_new bigint := (SELECT count(*) FROM orderdesk.audit_log);
BEGIN
    IF v_old <> v_new THEN
        RAISE EXCEPTION 'audit_log copy has % rows, the old table %', v_new, v_old;
    END IF;
END
$check$;

-- The identity goes on exactly where the old one stopped.
SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('orderdesk.audit_log', 'id'), s.last_value, s.is_called)
FROM orderdesk.audit_log_0018_id_seq AS s;

-- Indexes after the copy (one build per partition instead of row-by-row upkeep); the names of 0005.
ALTER TABLE orderdesk.audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id, occurred_at);
CREATE INDEX audit_log_tenant_id_occurred_at_idx ON orderdesk.audit_log (tenant_id, occurred_at DESC);
CREATE INDEX audit_log_tenant_id_action_occurred_at_idx ON orderdesk.audit_log (tenant_id, action, occurred_at DESC);
CREATE INDEX audit_log_correlation_id_idx ON orderdesk.audit_log (correlation_id);
CREATE INDEX audit_log_occurred_at_brin ON orderdesk.audit_log USING brin (occurred_at);

-- The comments of 0005 and 0013, column by column.
DO $comments$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT a.attname, d.description
        FROM pg_catalog.pg_description AS d
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
        WHERE d.objoid = 'orderdesk.audit_log_0018'::regclass AND d.classoid = 'pg_catalog.pg_class'::regclass
          AND d.objsubid > 0
    LOOP
        EXECUTE pg_catalog.format('COMMENT ON COLUMN orderdesk.audit_log.%I IS %L', r.attname, r.description);
    END LOOP;
END
$comments$;
COMMENT ON TABLE orderdesk.audit_log IS
    'Append-only: the app may INSERT and SELECT, never UPDATE, DELETE or TRUNCATE. A mutation writes a "started" row before it goes upstream and a second row with its outcome. Partitioned by UTC month of occurred_at (audit_log_YYYY_MM, and audit_log_default, normally empty); old months are dropped whole by `orderdesk-mcp audit prune`.';

DROP TABLE orderdesk.audit_log_0018;

-- RLS and grants as in 0005, plus one narrow owner policy: `audit prune` (run as the owner) records
-- its own tenantless row in the transaction that drops the partitions.
ALTER TABLE orderdesk.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE orderdesk.audit_log FORCE ROW LEVEL SECURITY;

CREATE POLICY audit_log_app_select ON orderdesk.audit_log
    AS PERMISSIVE FOR SELECT TO orderdesk_app
    USING (tenant_id = orderdesk.current_tenant_id());

CREATE POLICY audit_log_app_insert ON orderdesk.audit_log
    AS PERMISSIVE FOR INSERT TO orderdesk_app
    WITH CHECK (tenant_id = orderdesk.current_tenant_id()
                OR (tenant_id IS NULL AND orderdesk.current_tenant_id() IS NULL));

CREATE POLICY audit_log_auditor_select ON orderdesk.audit_log
    AS PERMISSIVE FOR SELECT TO orderdesk_auditor
    USING (true);

CREATE POLICY audit_log_owner_prune_record ON orderdesk.audit_log
    AS PERMISSIVE FOR INSERT TO orderdesk_owner
    WITH CHECK (tenant_id IS NULL AND actor = 'cli' AND action = 'cli.audit.prune');

GRANT SELECT, INSERT ON orderdesk.audit_log TO orderdesk_app;
GRANT SELECT ON orderdesk.audit_log TO orderdesk_auditor;

-- The auditor views of 0013, word for word, with the comments of 0008.
CREATE VIEW orderdesk.audit_events WITH (security_invoker = true) AS
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

COMMENT ON VIEW orderdesk.audit_events IS
    'Every audit row with its tenant''s name (NULL tenant: events with no tenant, e.g. unknown keys).';

CREATE VIEW orderdesk.audit_failures WITH (security_invoker = true) AS
SELECT *
FROM orderdesk.audit_events
WHERE outcome IN ('error', 'denied', 'rate_limited');

COMMENT ON VIEW orderdesk.audit_failures IS 'Audit rows whose outcome is error, denied or rate_limited.';

CREATE VIEW orderdesk.audit_order_history WITH (security_invoker = true) AS
SELECT *
FROM orderdesk.audit_events
WHERE target IS NOT NULL
ORDER BY occurred_at DESC, id DESC;

COMMENT ON VIEW orderdesk.audit_order_history IS
    'Audit rows about a specific object (target, usually an OrderDesk order id), newest first.';

GRANT SELECT ON orderdesk.audit_events, orderdesk.audit_failures, orderdesk.audit_order_history
    TO orderdesk_auditor;

RESET ROLE;
