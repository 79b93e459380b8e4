"""Runs Airbyte's source-repairshopr manifest (manifest.yaml next to this file) with the airbyte-cdk's
declarative machinery, the way the source-declarative-manifest image runs a bundled manifest
(airbyte_cdk/cli/source_declarative_manifest/_run.py, handle_local_manifest_command).

    .venv/peer-airbyte/bin/python bench/peers/airbyte/run_manifest.py spec
    .venv/peer-airbyte/bin/python bench/peers/airbyte/run_manifest.py check --config C
    .venv/peer-airbyte/bin/python bench/peers/airbyte/run_manifest.py discover --config C
    .venv/peer-airbyte/bin/python bench/peers/airbyte/run_manifest.py read --config C --catalog K [--state S]

Airbyte messages go to stdout, one JSON object a line. MANIFEST=<path> runs another manifest.
"""

import os
import sys
from pathlib import Path

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

MANIFEST = os.environ.get("MANIFEST") or str(Path(__file__).resolve().with_name("manifest.yaml"))


def main(args: list[str]) -> None:
    parsed = AirbyteEntrypoint.parse_args(args)
    config_path = getattr(parsed, "config", None)
    source = YamlDeclarativeSource(
        path_to_yaml=MANIFEST,
        config=YamlDeclarativeSource.read_config(config_path) if config_path else None,
        catalog=YamlDeclarativeSource.read_catalog(parsed.catalog) if getattr(parsed, "catalog", None) else None,
        state=YamlDeclarativeSource.read_state(parsed.state) if getattr(parsed, "state", None) else None,
        config_path=config_path,
    )
    launch(source, args)


if __name__ == "__main__":
    main(sys.argv[1:])
