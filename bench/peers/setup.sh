#!/usr/bin/env bash
# The peer the benchmarks compare tap-crm with: a Meltano-SDK tap (bench/peers/tap_crm_sdk.py) in
# .venv/peer-singer-sdk with the versions pinned in bench/peers/requirements.txt. Skipped when a stamp
# says this interpreter already installed this file there. `npm run bench` measures the peer only when
# this environment exists.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}
REQ=$ROOT/bench/peers/requirements.txt
DIR=$ROOT/.venv/peer-singer-sdk
stamp="$("$PYTHON" -c 'import sys; print(sys.version)' | head -n 1) $(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -f "$DIR/.tap-crm-stamp" ] && [ "$(cat "$DIR/.tap-crm-stamp")" = "$stamp" ]; then
  echo "[peers setup] .venv/peer-singer-sdk is up to date"
  exit 0
fi
echo "[peers setup] creating .venv/peer-singer-sdk from bench/peers/requirements.txt"
"$PYTHON" -m venv --clear "$DIR"
"$DIR/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$REQ"
echo "$stamp" > "$DIR/.tap-crm-stamp"
