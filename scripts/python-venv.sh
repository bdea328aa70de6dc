#!/usr/bin/env bash
# Creates .venv with the Python test clients (the real `mcp` client, pytest) if it is missing or
# its requirements changed. Only PyPI is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=tests/e2e/requirements.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ -x .venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
echo "$want" >"$stamp"
