#!/usr/bin/env bash
# A pgbouncer in transaction mode in front of the project-local PostgreSQL cluster (scripts/db.sh):
# `pgbouncer.sh up`, `down`, `status`, `env`. `make test` runs the end-to-end suite through it.
#
# It runs as the cluster's OS user (pgbouncer refuses root), keeps its config, pid file and log in
# $ODMCP_PG_DIR/pgbouncer, and listens only on a unix socket in the cluster's 0700 socket directory
# on port ODMCP_PGBOUNCER_PORT (default: the cluster's port + 1). The URL differs from the direct
# one by the port alone. Authentication copies the cluster's: `trust` on that socket, so only the
# cluster's OS user and root can connect; pgbouncer reaches PostgreSQL over the same socket as the
# connecting role (trust there too), so no password exists anywhere.
#
# Every database name is forwarded (`*`): the test suites create one database per run. Settings
# that matter (docs/operations.md, "Running behind pgbouncer"): pool_mode = transaction; the pool
# is smaller than the clients' pools together, so server connections really are shared; `options`
# is not accepted as a startup parameter (pgbouncer 1.18 cannot carry it), which is exactly why the
# server must run with DB_PREPARED_STATEMENTS=unnamed here.
set -euo pipefail
source "$(dirname "$0")/pg-env.sh"

dir=$ODMCP_PG_DIR/pgbouncer
config=$dir/pgbouncer.ini
pidfile=$dir/pgbouncer.pid
bouncer=${ODMCP_PGBOUNCER_BIN:-$(command -v pgbouncer || echo /usr/sbin/pgbouncer)}

running() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

up() {
    [[ -x $bouncer ]] || { echo "error: pgbouncer not found (run scripts/install-deps.sh)" >&2; exit 1; }
    [[ -d $ODMCP_PG_SOCKET_DIR ]] || { echo "error: no cluster in $ODMCP_PG_DIR (run scripts/db.sh up first)" >&2; exit 1; }
    odmcp_as_cluster_user mkdir -p -m 0700 "$dir"
    # The roles that may connect (trust still requires the name to be listed); no passwords.
    printf '"%s" ""\n' orderdesk_app orderdesk_auditor postgres | odmcp_as_cluster_user tee "$dir/users.txt" >/dev/null
    cat <<CONF | odmcp_as_cluster_user tee "$config" >/dev/null
; orderdesk-mcp test pooler, written by scripts/pgbouncer.sh (rewritten on every start)
[databases]
* = host=$ODMCP_PG_SOCKET_DIR port=$ODMCP_PG_PORT

[pgbouncer]
pool_mode = transaction
listen_addr =
listen_port = $ODMCP_PGBOUNCER_PORT
unix_socket_dir = $ODMCP_PG_SOCKET_DIR
unix_socket_mode = 0700
auth_type = trust
auth_file = $dir/users.txt
pidfile = $pidfile
logfile = $dir/pgbouncer.log
default_pool_size = ${ODMCP_PGBOUNCER_POOL_SIZE:-8}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 1000
max_db_connections = 0
server_reset_query =
server_check_delay = 10
; A transaction waiting this long for a server connection fails instead of hanging (PostgreSQL down
; or refusing connections: /readyz must answer 503, not time out). Transactions here take milliseconds.
query_wait_timeout = 5
log_connections = 0
log_disconnections = 0
admin_users = postgres
CONF
    if ! running; then
        odmcp_as_cluster_user "$bouncer" -d "$config" \
            || { tail -20 "$dir/pgbouncer.log" >&2; exit 1; }
        for _ in $(seq 50); do
            [[ -S $ODMCP_PG_SOCKET_DIR/.s.PGSQL.$ODMCP_PGBOUNCER_PORT ]] && break
            sleep 0.1
        done
    fi
    running || { tail -20 "$dir/pgbouncer.log" >&2; exit 1; }
    echo "pgbouncer up: port $ODMCP_PGBOUNCER_PORT (transaction mode), socket $ODMCP_PG_SOCKET_DIR, log $dir/pgbouncer.log"
}

down() {
    if running; then
        local pid
        pid=$(cat "$pidfile")
        kill -INT "$pid" # safe shutdown: transactions in flight finish first
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" # a client still holding a transaction open
        echo "pgbouncer stopped"
    fi
}

case ${1:-} in
    up) up ;;
    down) down ;;
    status) running && echo "running on port $ODMCP_PGBOUNCER_PORT (pid $(cat "$pidfile"))" || { echo "not running"; exit 1; } ;;
    env) printf 'export DATABASE_URL=%q\nexport DB_PREPARED_STATEMENTS=unnamed\n' "$ODMCP_POOLED_DATABASE_URL" ;;
    *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
