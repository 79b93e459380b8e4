# make_venv NAME REQUIREMENTS: $ROOT/.venv/NAME with exactly the pinned requirements, made with $PYTHON;
# skipped when a stamp says that this interpreter already installed this file there. Sourced by
# test/integration/setup.sh and bench/peers/setup.sh, which define ROOT, PYTHON and say().
make_venv() {
  local name=$1 req=$2 dir=$ROOT/.venv/$1
  local stamp
  stamp="$("$PYTHON" -c 'import sys; print(sys.version)' | head -n 1) $(sha256sum "$req" | cut -d' ' -f1)"
  if [ -f "$dir/.tap-crm-stamp" ] && [ "$(cat "$dir/.tap-crm-stamp")" = "$stamp" ]; then
    say "Python: .venv/$name is up to date"
    return
  fi
  say "Python: creating .venv/$name from ${req#"$ROOT"/} (pip keeps its download cache, ~/.cache/pip by default)"
  "$PYTHON" -m venv --clear "$dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$req"
  echo "$stamp" > "$dir/.tap-crm-stamp"
}
