#!/usr/bin/env bash
# The project-local PostgreSQL cluster: `db.sh up`, `db.sh down` (also stops scripts/pgbouncer.sh), `db.sh status`, `db.sh env`.
# `up` is idempotent: it creates the cluster once, starts it if needed and creates the database.
set -euo pipefail
source "$(dirname "$0")/pg-env.sh"

pg() { odmcp_as_cluster_user "$ODMCP_PG_BIN/$1" "${@:2}"; }

running() { pg pg_ctl -D "$ODMCP_PG_DIR/data" status >/dev/null 2>&1; }

up() {
    [[ -x $ODMCP_PG_BIN/initdb ]] || { echo "error: PostgreSQL server binaries not found (run scripts/install-deps.sh)" >&2; exit 1; }
    if [[ $(id -u) -eq 0 ]] && ! id "$ODMCP_PG_OSUSER" >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$ODMCP_PG_OSUSER"
    fi
    mkdir -p "$ODMCP_ROOT/.data"
    if [[ $ODMCP_PG_LINK == 1 && $ODMCP_PG_DIR != "$ODMCP_ROOT/.data/pg" && ! -e $ODMCP_ROOT/.data/pg ]]; then
        ln -s "$ODMCP_PG_DIR" "$ODMCP_ROOT/.data/pg"
    fi
    if [[ ! -f $ODMCP_PG_DIR/data/PG_VERSION ]]; then
        mkdir -p "$ODMCP_PG_DIR"
        chown "$ODMCP_PG_OSUSER" "$ODMCP_PG_DIR"
        chmod 0700 "$ODMCP_PG_DIR"
        pg initdb -D "$ODMCP_PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --encoding=UTF8 --locale=C.UTF-8 >"$ODMCP_PG_DIR/initdb.log" 2>&1 \
            || { cat "$ODMCP_PG_DIR/initdb.log" >&2; exit 1; }
        odmcp_as_cluster_user mkdir -p -m 0700 "$ODMCP_PG_SOCKET_DIR"
        cat <<CONF | odmcp_as_cluster_user tee -a "$ODMCP_PG_DIR/data/postgresql.conf" >/dev/null
# orderdesk-mcp local cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$ODMCP_PG_SOCKET_DIR'
unix_socket_permissions = 0700
max_connections = 200
shared_preload_libraries = 'pg_stat_statements'
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
CONF
    fi
    if ! running; then
        pg pg_ctl -D "$ODMCP_PG_DIR/data" -o "-p $ODMCP_PG_PORT" -l "$ODMCP_PG_DIR/server.log" -w -t 60 start >/dev/null \
            || { tail -20 "$ODMCP_PG_DIR/server.log" >&2; exit 1; }
    fi
    if [[ $(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$ODMCP_PG_DB'") != 1 ]]; then
        psql_admin -qc "CREATE DATABASE \"$ODMCP_PG_DB\""
    fi
    echo "postgres up: port $ODMCP_PG_PORT, socket $ODMCP_PG_SOCKET_DIR, data $ODMCP_PG_DIR/data"
}

psql_admin() { psql -X -v ON_ERROR_STOP=1 "$ODMCP_ADMIN_DATABASE_URL" "$@"; }

down() {
    # The test pooler (scripts/pgbouncer.sh), if it runs, goes first: it only ever fronts this cluster.
    bash "$(dirname "$0")/pgbouncer.sh" down
    if [[ -f $ODMCP_PG_DIR/data/PG_VERSION ]] && running; then
        pg pg_ctl -D "$ODMCP_PG_DIR/data" -m fast -w stop >/dev/null
        echo "postgres stopped"
    fi
}

case ${1:-} in
    up) up ;;
    down) down ;;
    status) running && echo "running on port $ODMCP_PG_PORT ($ODMCP_PG_DIR)" || { echo "not running"; exit 1; } ;;
    env) printf 'export DATABASE_URL=%q\nexport MIGRATE_DATABASE_URL=%q\nexport ODMCP_ADMIN_DATABASE_URL=%q\n' \
            "$DATABASE_URL" "$MIGRATE_DATABASE_URL" "$ODMCP_ADMIN_DATABASE_URL" ;;
    destroy) down; rm -rf "$ODMCP_PG_DIR"; [[ $ODMCP_PG_LINK == 1 ]] && rm -f "$ODMCP_ROOT/.data/pg"; true ;;
    *) echo "usage: $0 up|down|status|env|destroy" >&2; exit 2 ;;
esac
