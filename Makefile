# orderdesk-mcp — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT ?= swift
BIN_DIR = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)
DB_ENV = source scripts/pg-env.sh

.PHONY: help deps build build-release db-up db-down db-destroy migrate demo test test-swift lint fmt clean

help:
	@echo "make demo      start Postgres, migrate, create a demo tenant (installs what is missing)"
	@echo "make test      everything CI runs: install, build, Postgres, all test suites, lint"
	@echo "make db-up     start the project-local PostgreSQL (.data/pg)   make db-down  stop it"
	@echo "make migrate   apply migrations to the local database"
	@echo "make fmt       format the Swift sources           make lint   check formatting"

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

build-release: deps
	$(SWIFT) build -c release

db-up: deps
	@bash scripts/db.sh up

db-down:
	@bash scripts/db.sh down

db-destroy:
	@bash scripts/db.sh destroy

migrate: build db-up
	@$(DB_ENV); "$(BIN_DIR)/orderdesk-mcp" migrate up

demo: migrate
	@bash scripts/demo.sh

test: deps db-up
	$(SWIFT) build --build-tests
	@$(DB_ENV); ODMCP_BIN_DIR="$(BIN_DIR)" ODMCP_MIGRATIONS_DIR="$(CURDIR)/migrations" \
		$(SWIFT) test --skip-build
	@$(MAKE) --no-print-directory lint

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

fmt:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
