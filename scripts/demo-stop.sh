#!/usr/bin/env bash
# `make demo-stop`: stops the simulator and server that `make demo` started.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f .data/demo.pids ]] || { echo "no demo is running"; exit 0; }
read -r sim serve <.data/demo.pids
kill "$serve" "$sim" 2>/dev/null || true
rm -f .data/demo.pids
echo "demo stopped"
