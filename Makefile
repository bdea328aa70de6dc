# orderdesk-mcp — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Swift on PATH, else the toolchain where this machine image keeps it.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
BIN_DIR = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)
DB_ENV = source scripts/pg-env.sh

.PHONY: help deps deps-test build build-release db-up db-down db-destroy pooler-up pooler-down migrate demo demo-stop test e2e fuzz fuzz-short chaos chaos-short bench lint fmt clean

help:
	@echo "make demo      Postgres, migrations, demo tenant, simulator and MCP server (Ctrl-C stops)"
	@echo "make demo-stop stop the demo's server and simulator"
	@echo "make test      everything CI runs: install, build, Postgres, all test suites, lint"
	@echo "make db-up     start the project-local PostgreSQL (.data/pg)   make db-down  stop it (and the pooler)"
	@echo "make pooler-up start pgbouncer in transaction mode in front of it (make e2e and make test do)"
	@echo "make migrate   apply migrations to the local database"
	@echo "make e2e       only the end-to-end suite (Python MCP client against real binaries)"
	@echo "make fuzz      hypothesis fuzzing of the live server, long budget (FUZZ_EXAMPLES=5000)"
	@echo "make chaos     fault-tolerance suite, long form (own Postgres cluster restarted under load)"
	@echo "make bench     benchmarks (release build, wrk, pgbench floor); table + bench/results/*.json"
	@echo "make fmt       format the Swift sources           make lint   check formatting"

deps:
	@bash scripts/install-deps.sh

deps-test:
	@bash scripts/install-deps.sh --browser

build: deps
	$(SWIFT) build

build-release: deps
	$(SWIFT) build -c release

db-up: deps
	@bash scripts/db.sh up

db-down:
	@bash scripts/db.sh down

# pgbouncer in transaction mode on the cluster's socket directory, port ODMCP_PGBOUNCER_PORT (the
# cluster's port + 1): the end-to-end suite's replicas reach PostgreSQL through it (docs/e2e.md).
pooler-up: db-up
	@bash scripts/pgbouncer.sh up

pooler-down:
	@bash scripts/pgbouncer.sh down

db-destroy:
	@bash scripts/db.sh destroy

migrate: build db-up
	@$(DB_ENV); "$(BIN_DIR)/orderdesk-mcp" migrate up

demo: migrate
	@ODMCP_BIN_DIR="$(BIN_DIR)" bash scripts/demo.sh

demo-stop:
	@bash scripts/demo-stop.sh

test: deps-test db-up pooler-up
	$(SWIFT) build --build-tests
	@# Serial: several suites assert timing (retry backoff, a ticking timer) and start real processes;
	@# on a 2-core machine running them all at once makes those measurements meaningless.
	@$(DB_ENV); ODMCP_BIN_DIR="$(BIN_DIR)" ODMCP_MIGRATIONS_DIR="$(CURDIR)/migrations" \
		$(SWIFT) test --skip-build --no-parallel
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory fuzz-short
	@$(MAKE) --no-print-directory chaos-short
	@$(MAKE) --no-print-directory lint

# End-to-end: the real binaries (Postgres, simulator, server replicas) and the real Python MCP client.
# Replicas and the operator CLI reach PostgreSQL through pgbouncer in transaction mode with
# DB_PREPARED_STATEMENTS=unnamed (migrations and inspection queries go direct); E2E_POOLER=none runs
# them straight against PostgreSQL instead.
E2E_POOLER ?= pgbouncer
e2e: deps-test db-up pooler-up
	@bash scripts/python-venv.sh
	$(SWIFT) build
	@$(DB_ENV); if [[ "$(E2E_POOLER)" == pgbouncer ]]; then export ODMCP_E2E_PGBOUNCER_PORT=$$ODMCP_PGBOUNCER_PORT; fi; \
		ODMCP_BIN_DIR="$(BIN_DIR)" .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider

# Fuzzing the live server with hypothesis: a short, derandomized budget inside `make test`,
# a long randomized one with `make fuzz` (FUZZ_EXAMPLES to change it).
fuzz-short: deps db-up
	@bash scripts/python-venv.sh
	@$(DB_ENV); FUZZ_EXAMPLES=300 ODMCP_BIN_DIR="$(BIN_DIR)" .venv/bin/python -m pytest tests/fuzz -q -p no:cacheprovider

fuzz: deps db-up
	@bash scripts/python-venv.sh
	$(SWIFT) build
	@$(DB_ENV); FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-5000} ODMCP_BIN_DIR="$(BIN_DIR)" \
		.venv/bin/python -m pytest tests/fuzz -q -p no:cacheprovider

# Fault tolerance (tests/chaos): PostgreSQL restarted and stopped under load, a replica SIGKILLed,
# upstream hangs and 429/5xx storms, graceful shutdown. It runs its own throwaway cluster
# (scripts/chaos.sh), never the shared one. Short form inside `make test`, long with `make chaos`.
chaos-short: deps
	@bash scripts/python-venv.sh
	@CHAOS_MODE=short ODMCP_BIN_DIR="$(BIN_DIR)" bash scripts/chaos.sh

chaos: deps
	@bash scripts/python-venv.sh
	$(SWIFT) build
	@CHAOS_MODE=long ODMCP_BIN_DIR="$(BIN_DIR)" bash scripts/chaos.sh

# Benchmarks of a release build against its own database on the local cluster (bench/README.md):
# prints one table and writes bench/results/latest.json. Takes about 8-10 minutes.
bench: deps db-up
	$(SWIFT) build -c release
	@ODMCP_BIN_DIR="$$($(SWIFT) build -c release --show-bin-path)" bash bench/run.sh

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

fmt:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
