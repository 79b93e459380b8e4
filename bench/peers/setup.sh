#!/usr/bin/env bash
# The peers the benchmarks compare tap-crm with, each in a venv of its own with pinned versions:
# - a Meltano-SDK tap (bench/peers/tap_crm_sdk.py) in .venv/peer-singer-sdk, from bench/peers/requirements.txt;
# - Airbyte's low-code connector (bench/peers/airbyte) in .venv/peer-airbyte, from bench/peers/airbyte/requirements.txt.
# A venv is skipped when its stamp says this interpreter already installed this file there.
# `npm run bench` measures the peers only when both environments exist.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}
say() { echo "[peers setup] $*"; }
# shellcheck source=../../test/integration/make-venv.sh
source "$ROOT/test/integration/make-venv.sh"

make_venv peer-singer-sdk "$ROOT/bench/peers/requirements.txt"
make_venv peer-airbyte "$ROOT/bench/peers/airbyte/requirements.txt"
