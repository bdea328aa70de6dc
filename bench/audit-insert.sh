#!/usr/bin/env bash
# Audit rows/s PostgreSQL takes from the audit writer's batch statement, measured with pgbench on the
# local cluster (scripts/db.sh up): a throwaway database migrated with the built binary, TENANTS
# tenants (default 8), and per transaction what AuditLog sends in one round trip for a full batch:
# `SELECT orderdesk.append_audit($1)` with 64 rows spread over the tenants (one INSERT whatever
# their tenants, migration 0021), as orderdesk_app, prepared. Prints pgbench's summary and rows/s (= transactions/s x 64).
# usage: bench/audit-insert.sh [clients=4] [seconds=20]
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
psql -X -qc "INSERT INTO orderdesk.tenants (name, hkdf_salt)
    SELECT 'audit insert bench ' || t, decode(md5(random()::text) || md5(random()::text), 'hex')
    FROM generate_series(1, ${TENANTS:-8}) AS t" "$(url postgres)"
# 64 rows shaped like a cached orders_get's (AuditRecord.jsonRow), distinct correlation ids, the
# tenants taking turns.
rows=$(psql -X -qtA "$(url postgres)" -c "WITH t AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n,
    count(*) OVER () AS total FROM orderdesk.tenants)
    SELECT jsonb_agg(jsonb_build_object(
    'tenant_id', t.id, 'correlation_id', gen_random_uuid(), 'session_hash', encode(sha256(g::text::bytea), 'hex'),
    'replica_id', 'bench-1', 'actor', 'odmk_Ab1', 'action', 'orders_get', 'store_id', '10001', 'target', 900000 + g,
    'params', jsonb_build_object('order_id', (900000 + g)::text), 'outcome', 'ok', 'duration_ms', 3,
    'client_ip', '203.0.113.9', 'user_agent', 'bench/1.0', 'protocol_version', '2025-11-25'))
    FROM generate_series(1, $batch) AS g JOIN t ON t.n = g % t.total")
script=$(mktemp)
trap 'rm -f "$script"; psql -X -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" "$ODMCP_ADMIN_DATABASE_URL"' EXIT
cat >"$script" <<SQL
SELECT orderdesk.append_audit(:rows);
SQL
out=$(pgbench -n -M prepared -c "$clients" -j "$clients" -T "$seconds" -D rows="$rows" \
    -f "$script" "$(url orderdesk_app)")
echo "$out"
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")
echo "audit rows/s: $(awk -v t="$tps" -v b="$batch" 'BEGIN { printf "%.0f", t * b }') ($clients clients, batches of $batch over ${TENANTS:-8} tenants)"
