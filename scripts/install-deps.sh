#!/usr/bin/env bash
# Installs what building and testing orderdesk-mcp needs and is missing: the C libraries' -dev
# packages, PostgreSQL, pgbouncer (the end-to-end suite runs through it: scripts/pgbouncer.sh), Python
# venv tooling, the openssl and python3 commands (the OAuth metadata fetcher's tests make a self-signed
# certificate and serve HTTPS with python3's standard library), and,
# with `--browser` (make test, make e2e), Debian's chromium with its chromedriver (tests/e2e/test_oauth.py
# signs in through a headless browser; make demo does not need them).
# As root it uses apt; otherwise it prints the command to run and fails, so a missing piece is never
# discovered halfway through a build.
set -euo pipefail

packages=(libpq-dev libssl-dev libcurl4-openssl-dev libargon2-dev postgresql postgresql-contrib pgbouncer pkg-config
    python3-venv openssl python3)
if [[ ${1:-} == --browser ]]; then
    packages+=(chromium chromium-driver)
fi
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# python3-venv is only needed when the python3 on PATH cannot make a venv by itself (pyenv builds can).
if [[ " ${missing[*]} " == *" python3-venv "* ]] && python3 -m venv --help >/dev/null 2>&1 \
    && python3 -c 'import ensurepip' >/dev/null 2>&1; then
    missing=("${missing[@]/python3-venv}")
fi
# For openssl and python3 the tests need the command: any one on PATH will do.
kept=()
for pkg in "${missing[@]}"; do
    if [[ $pkg == openssl || $pkg == python3 ]] && command -v "$pkg" >/dev/null 2>&1; then continue; fi
    kept+=("$pkg")
done
missing=("${kept[@]}")
read -r -a missing <<<"${missing[*]}"

if ((${#missing[@]} == 0)); then
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "error: missing Debian packages: ${missing[*]}" >&2
    echo "  install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's postgresql package starts a system cluster on 5432; ours runs separately on its own port.
# Likewise Debian's pgbouncer package may start a system pgbouncer on 6432; ours (scripts/pgbouncer.sh)
# runs with its own config next to our cluster.
