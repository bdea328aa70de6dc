#!/usr/bin/env bash
# The chaos (fault-tolerance) suite, tests/chaos: PostgreSQL restarted and stopped under load, a
# replica SIGKILLed, upstream timeouts and 429/5xx storms, graceful shutdown.
#
#   CHAOS_MODE=short bash scripts/chaos.sh   # inside `make test` (≤ 3 min on 2 cores)
#   CHAOS_MODE=long  bash scripts/chaos.sh   # `make chaos`: longer load, more rounds (≤ 10 min)
#
# The suite restarts PostgreSQL, so it runs its own throwaway cluster (never the project's shared
# one on port 55432): data under /var/tmp/orderdesk-mcp-chaos-pg-<hash of the checkout>, port
# ODMCP_CHAOS_PG_PORT (default 55441). The cluster is stopped and deleted on exit, whatever happens.
# Extra arguments go to pytest (e.g. `-k replica`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export CHAOS_MODE=${CHAOS_MODE:-short}
case $CHAOS_MODE in
    short | long) ;;
    *) echo "error: CHAOS_MODE must be short or long (got '$CHAOS_MODE')" >&2; exit 2 ;;
esac

# Nothing inherited may point at the shared cluster (make's `source scripts/pg-env.sh` exports these).
unset DATABASE_URL MIGRATE_DATABASE_URL ODMCP_ADMIN_DATABASE_URL ODMCP_PG_SOCKET_DIR ODMCP_PG_LINK
export ODMCP_PG_DIR=/var/tmp/orderdesk-mcp-chaos-pg-$(printf '%s' "$root" | sha256sum | cut -c1-12)
export ODMCP_PG_PORT=${ODMCP_CHAOS_PG_PORT:-55441}
if [[ $ODMCP_PG_PORT == 55432 ]]; then
    echo "error: ODMCP_CHAOS_PG_PORT must not be 55432, the port of the project's shared cluster" >&2
    exit 2
fi
# shellcheck source=pg-env.sh
source scripts/pg-env.sh
export ODMCP_PG_OSUSER ODMCP_PG_BIN
# tests/chaos/conftest.py refuses to restart a cluster unless this names the directory it may restart.
export ODMCP_CHAOS_PG_DIR=$ODMCP_PG_DIR

bash scripts/python-venv.sh

pytest_pid=
cleanup() {
    local status=$?
    if [[ -n $pytest_pid ]] && kill -0 "$pytest_pid" 2>/dev/null; then
        kill -TERM "$pytest_pid" 2>/dev/null || true
        wait "$pytest_pid" 2>/dev/null || true
    fi
    bash scripts/db.sh destroy >/dev/null 2>&1 || echo "warning: could not remove the chaos cluster in $ODMCP_PG_DIR" >&2
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A previous run killed with SIGKILL may have left its cluster behind: start from nothing.
bash scripts/db.sh destroy >/dev/null 2>&1 || true
bash scripts/db.sh up

started=$(date +%s)
echo "chaos: mode $CHAOS_MODE, PostgreSQL port $ODMCP_PG_PORT ($ODMCP_PG_DIR)"
# In the background and waited for, so a TERM/INT to this script reaches pytest through the trap.
.venv/bin/python -m pytest tests/chaos -q -p no:cacheprovider "$@" &
pytest_pid=$!
set +e
wait "$pytest_pid"
rc=$?
set -e
pytest_pid=
echo "chaos: mode $CHAOS_MODE finished in $(($(date +%s) - started)) s (exit $rc)"
exit "$rc"
