#!/usr/bin/env bash
# `make bench`: the benchmarks of orderdesk-mcp (see bench/README.md). Starts everything it measures
# (a fresh database bench_<random> on the project-local PostgreSQL, orderdesk-sim, orderdesk-mcp
# serve), drives wrk and pgbench through bench/bench.py, prints one table and writes
# bench/results/<UTC timestamp>.json and bench/results/latest.json.
#
# Environment:
#   ODMCP_BIN_DIR        directory with orderdesk-mcp and orderdesk-sim (default .build/release)
#   BENCH_BUILD          label of those binaries in the results (default: guessed from the path)
#   BENCH_DURATION       seconds per measured point (default 10)
#   BENCH_CONCURRENCY    connections of the cached orders_get curve (default "1 8 32 128")
#   BENCH_STATELESS_CONCURRENCY  points of that curve also run in the 2026-07-28 shape (default "1 32")
#   BENCH_RSS_CALLS      "first total" cached calls for the RSS points (default "10000 100000")
#   BENCH_RSS_WARMUP     uncounted cached calls before them (default 20000)
#   BENCH_AUTH_KEYS      fresh master keys timed on first use (default 20)
#   BENCH_UPDATE_CONNS   connections of the orders_update run (default 8)
#   BENCH_SIM_ORDERS     orders seeded in the simulator's store (default 1000)
#   BENCH_MANY_TENANTS   tenants of the many-tenant phase, 2 stores and 2 keys each (default 1000; 0 skips it)
#   BENCH_MANY_CALLS     measured calls of that phase, half per protocol revision (default 100000)
#   BENCH_MANY_WARMUP    uncounted calls before them on the fresh server (default 20000)
#   BENCH_MANY_ORDERS    orders per store of that phase (default 50, at most 500)
#   BENCH_MANY_CONNS     connections of that phase (default 32)
#   BENCH_MANY_ZIPF_S    Zipf exponent over tenants and orders (default 1.1)
#   BENCH_SEED_JOBS      CLI processes (and MCP connections) at a time while seeding it (default 2)
#   BENCH_KEEP=1         keep the work directory (logs, fragments) and print its path
#   BENCH_RESULTS_DIR    where the JSON goes (default bench/results)
#
# Exit status: 0 when every measurement ran (a missed target only says FAIL in the table), non-zero
# when the harness broke: an error answer, a process that died, a tool that failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"
source scripts/pg-env.sh

BIN=${ODMCP_BIN_DIR:-$root/.build/release}
DURATION=${BENCH_DURATION:-10}
CONCURRENCY=${BENCH_CONCURRENCY:-1 8 32 128}
STATELESS_CONCURRENCY=${BENCH_STATELESS_CONCURRENCY:-1 32}
read -r RSS_FIRST RSS_TOTAL <<<"${BENCH_RSS_CALLS:-10000 100000}"
AUTH_KEYS=${BENCH_AUTH_KEYS:-20}
UPDATE_CONNS=${BENCH_UPDATE_CONNS:-8}
SIM_ORDERS=${BENCH_SIM_ORDERS:-1000}
RSS_WARMUP=${BENCH_RSS_WARMUP:-20000}
MANY_TENANTS=${BENCH_MANY_TENANTS:-1000}
MANY_CALLS=${BENCH_MANY_CALLS:-100000}
MANY_WARMUP=${BENCH_MANY_WARMUP:-20000}
MANY_ORDERS=${BENCH_MANY_ORDERS:-50}
MANY_CONNS=${BENCH_MANY_CONNS:-32}
MANY_ZIPF_S=${BENCH_MANY_ZIPF_S:-1.1}
SEED_JOBS=${BENCH_SEED_JOBS:-2}
((MANY_ORDERS >= 1 && MANY_ORDERS <= 500)) || { echo "error: BENCH_MANY_ORDERS must be 1..500" >&2; exit 2; }
POOL=${DB_POOL_SIZE:-10}
STORE_ID=71001
PY=${PYTHON:-python3}
bench() { "$PY" "$here/bench.py" "$@"; }
say() { printf 'bench: %s\n' "$*" >&2; }

for exe in orderdesk-mcp orderdesk-sim; do
    [[ -x $BIN/$exe ]] || { echo "error: $BIN/$exe not found (build it, or set ODMCP_BIN_DIR)" >&2; exit 2; }
done
case ${BENCH_BUILD:-} in
    "") case $BIN in *release*) BUILD=release ;; *debug*) BUILD=debug ;; *) BUILD=unknown ;; esac ;;
    *) BUILD=$BENCH_BUILD ;;
esac

# --- tools ---------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "error: wrk is missing; install it: sudo apt-get install -y wrk" >&2
        exit 2
    fi
    say "installing wrk"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
fi
for tool in pgbench psql openssl curl; do
    command -v $tool >/dev/null 2>&1 || { echo "error: $tool is missing (postgresql-client, openssl, curl)" >&2; exit 2; }
done
PG_LOG=$ODMCP_PG_DIR/server.log
[[ -r $PG_LOG ]] || { echo "error: cannot read the cluster's log $PG_LOG (is the cluster up? make db-up)" >&2; exit 2; }

# --- work directory, cleanup ---------------------------------------------------------------------
umask 077
WORK=$(mktemp -d /tmp/odmcp-bench.XXXXXX)
DB=bench_$(openssl rand -hex 5)
export BENCH_DB=$DB
PIDS=()
ok=0
cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    psql -X -q -v ON_ERROR_STOP=1 "$ODMCP_ADMIN_DATABASE_URL" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    if [[ $ok == 1 && ${BENCH_KEEP:-0} != 1 ]]; then
        rm -rf "$WORK"
    else
        say "work directory (logs, fragments): $WORK"
        if [[ $ok != 1 ]]; then
            for f in "$WORK"/*.stderr; do
                [[ -s $f ]] && { echo "--- $(basename "$f") (last lines)" >&2; tail -15 "$f" >&2; }
            done
        fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

db_url() { printf 'postgresql:///%s?host=%s&port=%s&user=%s' "$DB" "$ODMCP_PG_SOCKET_DIR" "$ODMCP_PG_PORT" "$1"; }
SUPER_URL=$(db_url postgres)
APP_URL=$(db_url orderdesk_app)

# start NAME ARGV… : runs a process in the background (stdout/stderr in the work dir), waits for its
# "listening on http://…" line; sets STARTED_PID and STARTED_URL.
start() {
    local name=$1
    shift
    "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    # (up to 120 s: the simulator seeds every store before it listens, 2,000 of them in the many-tenant phase)
    for _ in $(seq 1 1200); do
        STARTED_URL=$(grep -o 'listening on http://[^ ]*' "$WORK/$name.stdout" 2>/dev/null | head -1 | cut -d' ' -f3) || true
        [[ -n $STARTED_URL ]] && return 0
        kill -0 "$STARTED_PID" 2>/dev/null || { echo "error: $name exited before listening" >&2; exit 3; }
        sleep 0.1
    done
    echo "error: $name did not start listening" >&2
    exit 3
}

stop() { # PID
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    local keep=()
    for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
    PIDS=("${keep[@]}")
}

alive() { # PID NAME
    kill -0 "$1" 2>/dev/null || { echo "error: $2 (pid $1) died" >&2; exit 3; }
}

# --- database, secrets, simulator, tenant --------------------------------------------------------
t_start=$(date +%s)
BACKGROUND_LOAD=$(bench load --seconds 3)
say "database $DB, binaries $BIN ($BUILD), $DURATION s per point"
psql -X -q -v ON_ERROR_STOP=1 "$ODMCP_ADMIN_DATABASE_URL" -c "CREATE DATABASE \"$DB\"" >/dev/null
env -u DATABASE_URL "$BIN/orderdesk-mcp" migrate up --database-url "$SUPER_URL" --migrations-dir "$root/migrations" >"$WORK/migrate.log" 2>&1 \
    || { cat "$WORK/migrate.log" >&2; exit 3; }
psql -X -q -v ON_ERROR_STOP=1 "$SUPER_URL" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
# Statements per call count what the server sends (top-level), not what runs inside functions.
psql -X -q -v ON_ERROR_STOP=1 "$SUPER_URL" -c "ALTER DATABASE \"$DB\" SET pg_stat_statements.track = 'top'" >/dev/null

MASTER_KEY_PEPPER=$(openssl rand -base64 32)
ENCRYPTION_KEY=$(openssl rand -base64 32)
BENCH_STORE_KEY=$(openssl rand -hex 20)
export BENCH_STORE_KEY

# The many-tenant phase's stores (two per tenant, random keys) are in a store file.
many_stores=()
if ((MANY_TENANTS > 0)); then
    bench many-stores --tenants "$MANY_TENANTS" --orders "$MANY_ORDERS" --out "$WORK/many-stores.json"
    many_stores=(--stores "$WORK/many-stores.json")
fi
start sim "$BIN/orderdesk-sim" --port 0 --no-rate-limit --latency-ms 0 --seed 11 --orders "$SIM_ORDERS" \
    --store "$STORE_ID:$BENCH_STORE_KEY" "${many_stores[@]}" --log-level warning
SIM_PID=$STARTED_PID
SIM_URL=$STARTED_URL

cli() { env -u MIGRATE_DATABASE_URL DATABASE_URL="$APP_URL" MASTER_KEY_PEPPER="$MASTER_KEY_PEPPER" "$BIN/orderdesk-mcp" "$@"; }
tenant_json=$(cli tenants create --name "bench tenant" --json)
TENANT_ID=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["tenant_id"])' <<<"$tenant_json")
BENCH_MASTER_KEY=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["master_key"])' <<<"$tenant_json")
export BENCH_MASTER_KEY
unset tenant_json
say "creating $AUTH_KEYS extra master keys (each hashed with argon2id by the CLI)"
for _ in $(seq 1 "$AUTH_KEYS"); do
    cli keys create --tenant "$TENANT_ID" --label bench --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["master_key"])'
done >"$WORK/fresh-keys"

# serve NAME [VAR=VALUE…]: one server replica with the bench settings (limits at the maxima the
# server accepts, so neither the tenant rate limit, the upstream bucket nor the per-tenant cap on
# concurrent upstream calls shapes the numbers).
serve() {
    local name=$1
    shift
    start "$name" env -u MIGRATE_DATABASE_URL -u ENCRYPTION_KEYS \
        DATABASE_URL="$APP_URL" MASTER_KEY_PEPPER="$MASTER_KEY_PEPPER" ENCRYPTION_KEY="$ENCRYPTION_KEY" \
        ORDERDESK_BASE_URL="$SIM_URL/api/v2" HOST=127.0.0.1 PORT=0 REPLICA_ID="bench-$name" LOG_LEVEL=warning \
        RATE_LIMIT_PER_MINUTE=1000000 RATE_LIMIT_BURST=1000000 AUTH_FAILURES_PER_MINUTE=100000 \
        AUTH_CACHE_TTL_SECONDS=60 UPSTREAM_BUCKET_BURST=100000 UPSTREAM_BUCKET_PER_SECOND=100000 \
        UPSTREAM_MAX_CONCURRENT_PER_TENANT=1000 \
        ORDER_CACHE_TTL_SECONDS=86400 ORDER_LIST_CACHE_TTL_SECONDS=86400 DB_POOL_SIZE="$POOL" \
        "$@" "$BIN/orderdesk-mcp" serve
    SERVER_PID=$STARTED_PID
    MCP_URL=$STARTED_URL/mcp
    for _ in $(seq 1 100); do
        curl -sf "$STARTED_URL/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "error: $name never became ready" >&2
    exit 3
}

STATE=$WORK/state.json
IDS=$WORK/order-ids

# --- 1. capture the SQL of one cached orders_get (log_statement = all, this server only) ---------
psql -X -q -v ON_ERROR_STOP=1 "$SUPER_URL" -c "ALTER DATABASE \"$DB\" SET log_statement = 'all'" >/dev/null
serve capture
bench setup --mcp "$MCP_URL" --sim "$SIM_URL" --store-id "$STORE_ID" --state "$STATE" --ids-file "$IDS"
bench warm --mcp "$MCP_URL" --state "$STATE" --calls 3 --expect-cached true
bench capture --mcp "$MCP_URL" --state "$STATE" --calls 200 --db-url "$SUPER_URL" --app-url "$APP_URL" \
    --admin-url "$ODMCP_ADMIN_DATABASE_URL" --dbname "$DB" --log-file "$PG_LOG" \
    --script "$WORK/floor.sql" --vars "$WORK/floor-vars.json" --out "$WORK/capture.json"
stop "$SERVER_PID"
psql -X -q -v ON_ERROR_STOP=1 "$SUPER_URL" -c "ALTER DATABASE \"$DB\" RESET log_statement" >/dev/null

# --- 2. the bench server: RSS, then the cached curve ----------------------------------------------
serve cached
CACHED_PID=$SERVER_PID
bench warm --mcp "$MCP_URL" --state "$STATE" --calls 3 --expect-cached true
bench warm --mcp "$MCP_URL" --state "$STATE" --calls 1 --expect-cached true --stateless
GET_BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"orders_get","arguments":{"order_id":"{ORDER}"}}}'
get_wrk() { # LABEL CONNS DURATION [--stateless] [extra args]: 2025-11-25 on the bench session, or 2026-07-28 (no session)
    local label=$1 conns=$2 dur=$3 shape=(--mcp-session session)
    shift 3
    [[ ${1:-} == --stateless ]] && { shape=(--stateless --expect '"resultType":"complete"'); shift; }
    bench wrk --label "$label" --out "$WORK/$label.json" --url "$MCP_URL" --state "$STATE" --conns "$conns" \
        --duration "$dur" --body "$GET_BODY" "${shape[@]}" --auth --expect '"isError":false' \
        --expect '"id":"{ORDER}"' --count '"cached":true' --require-count --server-pid "$CACHED_PID" \
        --metrics "${MCP_URL%/mcp}/metrics" "$@"
    alive "$CACHED_PID" "orderdesk-mcp serve"
}
say "RSS: $RSS_WARMUP warm-up calls, then $RSS_FIRST and $RSS_TOTAL cached calls at 32 connections on a fresh server"
# (wrk stops at the count; the durations only cap a very slow server, and the table then shows the
# counts actually reached.) The count starts after the warm-up: the heaps settle first.
bench rss --pid "$CACHED_PID" --label start --out "$WORK/rss.json"
warm_files=()
if ((RSS_WARMUP > 0)); then
    get_wrk rss_warmup 32 120 --stop-after "$RSS_WARMUP"
    warm_files=("$WORK/rss_warmup.json")
    bench rss --pid "$CACHED_PID" --calls-from "${warm_files[@]}" --label warmup --out "$WORK/rss.json"
fi
get_wrk rss_first 32 60 --stop-after "$RSS_FIRST"
bench rss --pid "$CACHED_PID" --calls-from "$WORK/rss_first.json" --warmup-from "${warm_files[@]}" --label first \
    --out "$WORK/rss.json"
get_wrk rss_rest 32 400 --stop-after $((RSS_TOTAL - RSS_FIRST))
bench rss --pid "$CACHED_PID" --calls-from "$WORK/rss_first.json" "$WORK/rss_rest.json" --warmup-from "${warm_files[@]}" \
    --label total --out "$WORK/rss.json"

curve_files=()
for c in $CONCURRENCY; do
    get_wrk "cached_c$c" "$c" "$DURATION" --pgss-db "$SUPER_URL"
    curve_files+=("$WORK/cached_c$c.json")
    # The same call in the 2026-07-28 shape right after it: same server, order and connections.
    if [[ " $STATELESS_CONCURRENCY " == *" $c "* ]]; then
        get_wrk "stateless_c$c" "$c" "$DURATION" --stateless --pgss-db "$SUPER_URL"
        curve_files+=("$WORK/stateless_c$c.json")
    fi
    # One more RSS point on the same server once the curve has reached 32 connections (the RSS
    # phase's concurrency; 128 connections need more memory in flight): does memory keep growing?
    if [ "$c" = 32 ]; then
        bench rss --pid "$CACHED_PID" --calls-from "$WORK/rss_first.json" "$WORK/rss_rest.json" "${curve_files[@]}" \
            --warmup-from "${warm_files[@]}" --label after_curve --out "$WORK/rss.json"
    fi
done

# --- 3. the floor: pgbench replaying the captured SQL --------------------------------------------
for c in $CONCURRENCY pool; do
    n=$c
    [[ $c == pool ]] && n=$POOL
    bench pgbench --label "floor_c$c" --out "$WORK/floor_c$c.json" --url "$APP_URL" --script "$WORK/floor.sql" \
        --vars "$WORK/floor-vars.json" --clients "$n" --duration "$DURATION"
done
[[ -f $WORK/floor_cpool.json ]] && mv "$WORK/floor_cpool.json" "$WORK/floor_pool.json"

# --- 4. orders_update: distinct orders per connection --------------------------------------------
UPDATE_BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"orders_update","arguments":{"order_id":"{ID}","changes":{"tag_name":"bench {N}"}}}}'
bench wrk --label update --out "$WORK/update.json" --url "$MCP_URL" --state "$STATE" --conns "$UPDATE_CONNS" \
    --duration "$DURATION" --body "$UPDATE_BODY" --ids-file "$IDS" --mcp-session session --auth \
    --expect '"isError":false' --server-pid "$CACHED_PID"
alive "$CACHED_PID" "orderdesk-mcp serve"

# --- 5. authentication ----------------------------------------------------------------------------
bench auth --mcp "$MCP_URL" --state "$STATE" --keys-file "$WORK/fresh-keys" --out "$WORK/auth.json"
PING_BODY='{"jsonrpc":"2.0","id":1,"method":"ping"}'
half=$(((DURATION + 1) / 2))
((half < 3)) && half=3
bench wrk --label ping_key --out "$WORK/ping_key.json" --url "$MCP_URL" --state "$STATE" --conns 1 \
    --duration "$half" --body "$PING_BODY" --mcp-session session --auth --expect '"result"' --server-pid "$CACHED_PID"
bench wrk --label ping_nokey --out "$WORK/ping_nokey.json" --url "$MCP_URL" --state "$STATE" --conns 1 \
    --duration "$half" --body "$PING_BODY" --mcp-session unauth_session --expect '"result"' --server-pid "$CACHED_PID"
alive "$CACHED_PID" "orderdesk-mcp serve"
stop "$CACHED_PID"

# --- 6. uncached orders_get vs. the simulator directly --------------------------------------------
serve uncached ORDER_CACHE_TTL_SECONDS=0
bench warm --mcp "$MCP_URL" --state "$STATE" --calls 3 --expect-cached false
bench wrk --label uncached --out "$WORK/uncached.json" --url "$MCP_URL" --state "$STATE" --conns 1 \
    --duration "$DURATION" --body "$GET_BODY" --mcp-session session --auth --expect '"isError":false' \
    --count '"cached":false' --require-count --server-pid "$SERVER_PID"
alive "$SERVER_PID" "orderdesk-mcp serve (uncached)"
ORDER_ID=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["order_id"])' "$STATE")
bench wrk --label sim_direct --out "$WORK/sim_direct.json" --url "$SIM_URL/api/v2/orders/$ORDER_ID" --state "$STATE" \
    --conns 1 --duration "$DURATION" --method GET --sim-store --expect '"status":"success"' --server-pid "$SIM_PID"
alive "$SIM_PID" "orderdesk-sim"
stop "$SERVER_PID"

# --- 7. many tenants: Zipf over 1,000 tenants x 2 stores, 2,000 keys --------------------------------
if ((MANY_TENANTS > 0)); then
    say "many tenants: seeding $MANY_TENANTS tenants with the CLI ($SEED_JOBS at a time), their stores and sessions"
    serve manyseed
    DATABASE_URL="$APP_URL" MASTER_KEY_PEPPER="$MASTER_KEY_PEPPER" bench many-seed --cli "$BIN/orderdesk-mcp" \
        --mcp "$MCP_URL" --sim "$SIM_URL" --stores "$WORK/many-stores.json" --jobs "$SEED_JOBS" \
        --out "$WORK/many-tenants" --result "$WORK/many_seed.json"
    stop "$SERVER_PID"
    # A fresh server: every key's first use (argon2id) happens in this phase.
    serve many
    MANY_PID=$SERVER_PID
    half_calls=$(((MANY_CALLS + 1) / 2))
    many_run() { # LABEL SHAPE SEED CALLS [extra args]: each run its own seed (the same one would replay the calls)
        local label=$1 shape=$2 seed=$3 calls=$4 cap=$(($4 / 200 + 60))
        shift 4
        bench many-run --label "$label" --out "$WORK/$label.json" --url "$MCP_URL" --tenants-file "$WORK/many-tenants" \
            --shape "$shape" --conns "$MANY_CONNS" --calls "$calls" --duration "$cap" --zipf-s "$MANY_ZIPF_S" --seed "$seed" \
            --server-pid "$MANY_PID" --metrics "${MCP_URL%/mcp}/metrics" "$@"
        alive "$MANY_PID" "orderdesk-mcp serve (many tenants)"
    }
    many_files=()
    if ((MANY_WARMUP > 0)); then
        many_run many_warmup stateless 1 "$MANY_WARMUP" --pgss-db "$SUPER_URL"
        many_files+=("$WORK/many_warmup.json")
    fi
    many_run many_session session 2 "$half_calls" --pgss-db "$SUPER_URL"
    many_run many_stateless stateless 3 "$half_calls" --pgss-db "$SUPER_URL"
    many_files+=("$WORK/many_session.json" "$WORK/many_stateless.json")
    bench rss --pid "$MANY_PID" --calls-from "${many_files[@]}" --label after_many_tenants --out "$WORK/many_rss.json"
    bench many-tables --db-url "$SUPER_URL" --out "$WORK/many_tables.json" --calls-from "${many_files[@]}"
    stop "$MANY_PID"
fi

# --- report ----------------------------------------------------------------------------------------
# The checkout's commit (the binaries may have been built from another one: bin_sha256 tells them apart).
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
bin_sha=$(sha256sum "$BIN/orderdesk-mcp" | cut -c1-12)
[[ -n $(git -C "$root" status --porcelain -- Sources Package.swift migrations 2>/dev/null) ]] && commit="$commit+dirty"
"$PY" - "$WORK/meta.json" <<PY
import json, os, sys, datetime, platform
meta = {
    "timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "build": "$BUILD", "bin_dir": "$BIN", "bin_sha256": "$bin_sha", "commit": "$commit",
    "duration": int("$DURATION"), "concurrency": "$CONCURRENCY", "stateless_concurrency": "$STATELESS_CONCURRENCY",
    "db_pool_size": int("$POOL"),
    "rss_calls": [int("$RSS_FIRST"), int("$RSS_TOTAL")], "rss_warmup_calls": int("$RSS_WARMUP"),
    "update_connections": int("$UPDATE_CONNS"),
    "many_tenants": int("$MANY_TENANTS"), "many_calls": int("$MANY_CALLS"), "many_warmup_calls": int("$MANY_WARMUP"),
    "many_orders_per_store": int("$MANY_ORDERS"), "many_connections": int("$MANY_CONNS"),
    "many_zipf_s": float("$MANY_ZIPF_S"), "seed_jobs": int("$SEED_JOBS"),
    "sim_orders": int("$SIM_ORDERS"), "cpus": os.cpu_count(), "kernel": platform.release(),
    "wrk": os.popen("wrk --version 2>&1 | head -1").read().strip(),
    "pgbench": os.popen("pgbench --version").read().strip(),
    "postgres": os.popen("psql -X -A -t -c 'SHOW server_version' '$ODMCP_ADMIN_DATABASE_URL'").read().strip(),
    "elapsed_s": None, "background_busy_cores": float("$BACKGROUND_LOAD"),
}
json.dump(meta, open(sys.argv[1], "w"), indent=2)
PY
"$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); m["elapsed_s"]=int(sys.argv[2]); json.dump(m, open(sys.argv[1],"w"), indent=2)' \
    "$WORK/meta.json" $(($(date +%s) - t_start))
bench report --work "$WORK" --results-dir "${BENCH_RESULTS_DIR:-$here/results}"
ok=1
