#!/usr/bin/env bash
# The image budget, measured and reported (not asserted: image.test.ts asserts the size only): the size
# the image adds to its base, and how long `docker run --rm IMAGE spec` takes on a warm machine (one run
# to warm up, then 5, their median, min and max). Reads test/integration/.env.integration.image.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck disable=SC1091
source test/integration/.env.integration.image
size=$(podman image inspect --format '{{.Size}}' "$TAP_CRM_IMAGE")
base=$(podman image inspect --format '{{.Size}}' "$TAP_CRM_IMAGE_BASE")
podman run --rm "$TAP_CRM_IMAGE" spec >/dev/null
times=()
for _ in 1 2 3 4 5; do
  start=$(date +%s%N)
  podman run --rm "$TAP_CRM_IMAGE" spec >/dev/null
  times+=($((($(date +%s%N) - start) / 1000000)))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "[image budget] $TAP_CRM_IMAGE: $(awk -v s="$size" -v b="$base" 'BEGIN { printf "%.2f MB over its base (%.1f MB, base %.1f MB)", (s - b) / 1e6, s / 1e6, b / 1e6 }')"
echo "[image budget] spec: median $(echo "$sorted" | sed -n 3p) ms of 5 warm runs (min $(echo "$sorted" | head -n 1), max $(echo "$sorted" | tail -n 1) ms), docker run --rm included"
