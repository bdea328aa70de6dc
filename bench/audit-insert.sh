#!/usr/bin/env bash
# Audit rows/s PostgreSQL takes from the audit writer's batch statement, measured with pgbench on the
# local cluster (scripts/db.sh up): a throwaway database migrated with the built binary, one tenant,
# and per transaction what AuditLog sends in one round trip for a full batch (BEGIN, the tenant
# setting, one INSERT ... jsonb_populate_recordset of 64 rows, COMMIT), as orderdesk_app, prepared and
# pipelined. Prints pgbench's summary and rows/s (= transactions/s x 64).
# usage: bench/audit-insert.sh [clients=4] [seconds=20]   (MIGRATIONS_DIR=dir: another schema, for comparison)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/pg-env.sh"
clients=${1:-4} seconds=${2:-20} batch=64
bin=${ODMCP_BIN_DIR:-$(cd "$root" && swift build --show-bin-path)}
db=odbench_audit_$$
url() { odmcp_url "$1" "$db"; }
psql -X -qc "CREATE DATABASE $db" "$ODMCP_ADMIN_DATABASE_URL"
trap 'psql -X -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" "$ODMCP_ADMIN_DATABASE_URL"' EXIT
"$bin/orderdesk-mcp" migrate up --database-url "$(url postgres)" --migrations-dir "${MIGRATIONS_DIR:-$root/migrations}" >/dev/null
tenant=$(psql -X -qtA "$(url postgres)" -c "INSERT INTO orderdesk.tenants (name, hkdf_salt)
    VALUES ('audit insert bench', decode(md5(random()::text) || md5(random()::text), 'hex')) RETURNING id")
# 64 rows shaped like a cached orders_get's (AuditRecord.jsonRow), distinct correlation ids.
rows=$(psql -X -qtA "$(url postgres)" -c "SELECT jsonb_agg(jsonb_build_object(
    'tenant_id', '$tenant', 'correlation_id', gen_random_uuid(), 'session_hash', encode(sha256(g::text::bytea), 'hex'),
    'replica_id', 'bench-1', 'actor', 'odmk_Ab1', 'action', 'orders_get', 'store_id', '10001', 'target', 900000 + g,
    'params', jsonb_build_object('order_id', (900000 + g)::text), 'outcome', 'ok', 'duration_ms', 3,
    'client_ip', '203.0.113.9', 'user_agent', 'bench/1.0', 'protocol_version', '2025-11-25'))
    FROM generate_series(1, $batch) AS g")
script=$(mktemp)
trap 'rm -f "$script"; psql -X -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" "$ODMCP_ADMIN_DATABASE_URL"' EXIT
columns="tenant_id, correlation_id, session_hash, replica_id, actor, action, store_id, target, params, outcome,
    error_code, duration_ms, client_ip, user_agent, protocol_version, traceparent"
cat >"$script" <<SQL
\startpipeline
BEGIN;
SELECT set_config('app.tenant_id', :tenant, true);
INSERT INTO orderdesk.audit_log ($columns)
SELECT $columns
FROM ROWS FROM (jsonb_populate_recordset(NULL::orderdesk.audit_log, :rows)) WITH ORDINALITY AS r
ORDER BY r.ordinality;
COMMIT;
\endpipeline
SQL
out=$(pgbench -n -M prepared -c "$clients" -j "$clients" -T "$seconds" -D tenant="$tenant" -D rows="$rows" \
    -f "$script" "$(url orderdesk_app)")
echo "$out"
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")
echo "audit rows/s: $(awk -v t="$tps" -v b="$batch" 'BEGIN { printf "%.0f", t * b }') ($clients clients, batches of $batch)"
