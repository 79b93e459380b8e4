# tap-crm as a container image: an Airbyte source for the Airbyte platform (OSS, Cloud, Enterprise) and for
# PyAirbyte's `docker_image=`, and the same Singer tap (`--config ... --catalog ...`) for any orchestrator.
#
#   docker build -t tap-crm/source-tap-crm:0.1.0 .
#   docker run --rm tap-crm/source-tap-crm:0.1.0 spec
#   docker run --rm -v "$PWD/secrets:/secrets:ro" tap-crm/source-tap-crm:0.1.0 check --config /secrets/config.json
#
# BASE_IMAGE: any image with Node.js >= 20.19 and npm (the build stage runs `npm ci`), /bin/sh and useradd.
ARG BASE_IMAGE=node:24-slim

# ---- build: the bundle that the Python package ships (python/bundle.ts): cli.js, page-worker.js,
# package.json and schemas/, with no node_modules.
FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src src
COPY schemas schemas
COPY python/bundle.ts python/bundle.ts
RUN npm run bundle -- /bundle && chmod 0755 /bundle/cli.js

# ---- the connector
FROM ${BASE_IMAGE}
# Kept in step with package.json and metadata.yaml by test/integration/image.test.ts.
ARG VERSION=0.1.0
LABEL io.airbyte.name="tap-crm/source-tap-crm" \
      io.airbyte.version="${VERSION}" \
      org.opencontainers.image.title="tap-crm" \
      org.opencontainers.image.description="Airbyte source and Singer tap for the Syncro MSP / RepairShopr REST API v1" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
# User airbyte, uid and gid 1000, home /airbyte/home, as Airbyte's own connector images have it (the
# platform runs connector pods as 1000). A base whose uid 1000 exists already (the node images' `node`)
# keeps that name: the uid is what counts.
RUN set -eu; \
    if ! getent passwd 1000 >/dev/null; then \
      getent group 1000 >/dev/null || groupadd --gid 1000 airbyte; \
      useradd --uid 1000 --gid 1000 --no-create-home --home-dir /airbyte/home --shell /usr/sbin/nologin airbyte; \
    fi; \
    mkdir -p /airbyte/home /airbyte/integration_code; \
    chown 1000:1000 /airbyte/home
# The code root's, read-only to its user: uid 1000 may not replace cli.js (nor the folder that holds it).
COPY --from=build --chown=0:0 /bundle /airbyte/integration_code
WORKDIR /airbyte/integration_code
ENV HOME=/airbyte/home \
    AIRBYTE_ENTRYPOINT="/airbyte/integration_code/cli.js"
USER 1000:1000
# cli.js starts with src/cli.ts's shebang (`#!/usr/bin/env -S node FLAGS`): node runs it with the tap's
# heap flags, as PID 1 (the tap handles SIGTERM and SIGINT itself: it writes its state and exits 143 / 130).
ENTRYPOINT ["/airbyte/integration_code/cli.js"]
