# Sourced by scripts and the Makefile: where the project-local PostgreSQL cluster lives and how to
# reach it. Every value can be overridden from the environment.
#
# The cluster must run as a non-root OS user (initdb refuses root). Under root that is `postgres`,
# which may not be able to enter the checkout (a home directory with mode 0700): then the cluster
# lives under /var/tmp and .data/pg is a symlink to it.

ODMCP_ROOT=${ODMCP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
ODMCP_PG_PORT=${ODMCP_PG_PORT:-55432}
ODMCP_PG_DB=${ODMCP_PG_DB:-orderdesk}
# The test pooler (scripts/pgbouncer.sh) listens next to the cluster, one port up.
ODMCP_PGBOUNCER_PORT=${ODMCP_PGBOUNCER_PORT:-$((ODMCP_PG_PORT + 1))}
if [[ $(id -u) -eq 0 ]]; then
    ODMCP_PG_OSUSER=${ODMCP_PG_OSUSER:-postgres}
else
    ODMCP_PG_OSUSER=${ODMCP_PG_OSUSER:-$(id -un)}
fi
ODMCP_PG_BIN=${ODMCP_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

odmcp_as_cluster_user() {
    if [[ $(id -un) == "$ODMCP_PG_OSUSER" ]]; then
        "$@"
    else
        # From /, so the cluster user is not asked to enter a directory it may not read.
        (cd / && runuser -u "$ODMCP_PG_OSUSER" -- "$@")
    fi
}

if [[ -n ${ODMCP_PG_DIR:-} ]]; then
    # An explicit directory (a second, throwaway cluster such as the chaos suite's) is never linked.
    ODMCP_PG_LINK=${ODMCP_PG_LINK:-0}
else
    ODMCP_PG_LINK=${ODMCP_PG_LINK:-1}
    if [[ -L $ODMCP_ROOT/.data/pg ]]; then
        ODMCP_PG_DIR=$(readlink "$ODMCP_ROOT/.data/pg")
    elif ((${#ODMCP_ROOT} < 70)) && { [[ $(id -un) == "$ODMCP_PG_OSUSER" ]] \
        || odmcp_as_cluster_user test -x "$ODMCP_ROOT" 2>/dev/null; }; then
        # (A unix socket path is limited to 107 bytes; a deep checkout also goes to /var/tmp.)
        ODMCP_PG_DIR=$ODMCP_ROOT/.data/pg
    else
        ODMCP_PG_DIR=/var/tmp/orderdesk-mcp-pg-$(printf '%s' "$ODMCP_ROOT" | sha256sum | cut -c1-12)
    fi
fi
ODMCP_PG_SOCKET_DIR=$ODMCP_PG_DIR/socket

# Connection strings. Unix-socket connections use `trust` inside a 0700 socket directory, so only
# the cluster's OS user (and root) can connect; TCP on loopback requires passwords (none are set).
odmcp_url() { # role database [port]
    printf 'postgresql:///%s?host=%s&port=%s&user=%s' "$2" "$ODMCP_PG_SOCKET_DIR" "${3:-$ODMCP_PG_PORT}" "$1"
}
export ODMCP_PG_PORT ODMCP_PG_DB ODMCP_PG_DIR ODMCP_PG_SOCKET_DIR ODMCP_PG_LINK ODMCP_PGBOUNCER_PORT
export ODMCP_ADMIN_DATABASE_URL=${ODMCP_ADMIN_DATABASE_URL:-$(odmcp_url postgres postgres)}
export MIGRATE_DATABASE_URL=${MIGRATE_DATABASE_URL:-$(odmcp_url postgres "$ODMCP_PG_DB")}
export DATABASE_URL=${DATABASE_URL:-$(odmcp_url orderdesk_app "$ODMCP_PG_DB")}
# The app role through the pooler: what a server behind pgbouncer uses (with DB_PREPARED_STATEMENTS=unnamed).
export ODMCP_POOLED_DATABASE_URL=${ODMCP_POOLED_DATABASE_URL:-$(odmcp_url orderdesk_app "$ODMCP_PG_DB" "$ODMCP_PGBOUNCER_PORT")}
