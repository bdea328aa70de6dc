# syntax=docker/dockerfile:1
#
# orderdesk-mcp: the MCP server (`orderdesk-mcp`) and the OrderDesk simulator (`orderdesk-sim`) in one
# image. The entrypoint is `orderdesk-mcp`; the default command is `serve`. Other uses:
#   docker run … IMAGE migrate up                       (one-shot, MIGRATE_DATABASE_URL)
#   docker run … IMAGE keys rotate-encryption --dry-run (operator commands, DATABASE_URL)
#   docker run … --entrypoint orderdesk-sim IMAGE --host 0.0.0.0
# See docs/operations.md. This file was written for a Docker host with network access; it has not
# been built on the machine it was written on (no Docker engine there).

# Same distribution in both stages (Debian 12), so the C libraries linked at build time are the
# ones installed at run time. The Swift version should match the toolchain the project is
# developed with (6.3); override with --build-arg SWIFT_IMAGE=swift:6.3.2-bookworm to pin a patch.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build

# The -dev packages of the four system libraries Package.swift links (pkg-config finds them).
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends \
        libpq-dev libssl-dev libcurl4-openssl-dev libargon2-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies first, so a source change does not fetch them again. Package.resolved is not in
# git (it is listed in .gitignore); the glob copies it when the build context has one.
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve

# Sources (Tests/ too: Package.swift declares the test targets, and SwiftPM checks their folders).
COPY Sources ./Sources
COPY Tests ./Tests

# Release build, Swift runtime and Foundation linked statically: the final image needs no Swift.
# swift-backtrace-static prints a symbolicated backtrace if the server ever crashes.
RUN swift build -c release --static-swift-stdlib --product orderdesk-mcp \
    && swift build -c release --static-swift-stdlib --product orderdesk-sim \
    && mkdir -p /staging/bin \
    && bin="$(swift build -c release --show-bin-path)" \
    && cp "$bin/orderdesk-mcp" "$bin/orderdesk-sim" /staging/bin/ \
    && cp /usr/libexec/swift/linux/swift-backtrace-static /staging/bin/

COPY migrations /staging/migrations

# ---------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

# Only the runtime libraries: libpq5 (PostgreSQL client), libssl3 (libcrypto: AES-GCM, HKDF,
# HMAC, random), libcurl4 (the OrderDesk client), libargon2-1 (master-key hashes), CA
# certificates (HTTPS to OrderDesk), and curl for the HEALTHCHECK.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends \
        libpq5 libssl3 libcurl4 libargon2-1 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid (10001) that owns nothing it could change.
RUN groupadd --system --gid 10001 orderdesk \
    && useradd --system --uid 10001 --gid orderdesk --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin orderdesk

WORKDIR /app
COPY --from=build --chown=root:root /staging/bin/ /usr/local/bin/
COPY --from=build --chown=root:root /staging/migrations/ /app/migrations/

# Listen on every interface of the container (the server's own default is loopback). Secrets
# (DATABASE_URL, MASTER_KEY_PEPPER, ENCRYPTION_KEY[S]) are never baked in: pass them at run time.
ENV HOST=0.0.0.0 \
    PORT=8080 \
    MIGRATIONS_DIR=/app/migrations \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/bin/swift-backtrace-static

USER orderdesk:orderdesk
EXPOSE 8080

# Liveness only (the process answers). Readiness — database reachable and schema new enough — is
# /readyz, which the load balancer checks before it sends traffic (deploy/haproxy.cfg).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/healthz" || exit 1

ENTRYPOINT ["orderdesk-mcp"]
CMD ["serve"]
