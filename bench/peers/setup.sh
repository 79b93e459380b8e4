#!/usr/bin/env bash
# The peers the benchmarks compare tap-crm with, each in a venv of its own with pinned versions:
# - a Meltano-SDK tap (bench/peers/tap_crm_sdk.py) in .venv/peer-singer-sdk, from bench/peers/requirements.txt;
# - Airbyte's low-code connector (bench/peers/airbyte) in .venv/peer-airbyte, from bench/peers/airbyte/requirements.txt.
# A venv is skipped when its stamp says this interpreter already installed this file there.
# `npm run bench` measures the peers only when both environments exist.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}

install() { # <venv name> <requirements file>
  local dir=$ROOT/.venv/$1 req=$2 stamp
  stamp="$("$PYTHON" -c 'import sys; print(sys.version)' | head -n 1) $(sha256sum "$req" | cut -d' ' -f1)"
  if [ -f "$dir/.tap-crm-stamp" ] && [ "$(cat "$dir/.tap-crm-stamp")" = "$stamp" ]; then
    echo "[peers setup] .venv/$1 is up to date"
    return
  fi
  echo "[peers setup] creating .venv/$1 from ${req#"$ROOT"/}"
  "$PYTHON" -m venv --clear "$dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$req"
  echo "$stamp" > "$dir/.tap-crm-stamp"
}

install peer-singer-sdk "$ROOT/bench/peers/requirements.txt"
install peer-airbyte "$ROOT/bench/peers/airbyte/requirements.txt"
