"""Airbyte's standard connector tests (airbyte-cdk's FAST suite, pinned in
test/integration/requirements/standard-tests.txt) against the tap-crm image.

`SourceTestSuiteBase` holds both halves of the suite:
  - the Docker tests it inherits from `DockerConnectorTestSuite` (`test_docker_image_*`), which run the
    image given with `--connector-image` through `docker run`, as Airbyte's CI does for a connector
    that is not written in Python;
  - the source tests (`test_spec`, `test_check`, `test_discover`, `test_basic_read` with every record
    validated against its stream's schema, `test_fail_read_with_bad_catalog`, ...), which the CDK runs
    on a Python connector object in-process. `ImageSource` is that object here: each of its commands
    is one `docker run` of the same image, its messages handed back to the CDK unchanged, so every
    assertion is about what the image emitted. A catalog or state file goes to the image as it was
    written, unparsed, so that the image, not the CDK, meets the bad catalog.

Run (test/integration/image.test.ts does, with the simulator's configs in secrets/; see docs/airbyte-platform.md):
  pytest test/image --connector-image IMAGE --read-from-streams=true
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteMessageSerializer,
    ConnectorSpecification,
    Type,
)
from airbyte_cdk.sources import Source
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

IMAGE_ENV = "TAP_CRM_CONNECTOR_IMAGE"  # set by conftest.py from --connector-image


class ImageSource(Source):
    """A `Source` whose every command runs the image: `docker run --rm -i -v DIR:/secrets:ro IMAGE ...`.

    The config, catalog and state are written into a fresh directory that the image's user (uid
    1000) can read, as PyAirbyte's and the CDK's own runners make their files (0444 / 0666).
    """

    def __init__(self, image: str) -> None:
        self.image = image
        self._spec: ConnectorSpecification | None = None

    # --- inputs: kept as the files say; the image parses them
    def read_catalog(self, catalog_path: str) -> Any:
        return json.loads(Path(catalog_path).read_text())

    def read_state(self, state_path: str) -> Any:
        return json.loads(Path(state_path).read_text()) if state_path else None

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        return config

    # --- the four commands
    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        if self._spec is None:
            messages = list(self._run(["spec"], {}))
            specs = [m.spec for m in messages if m.type == Type.SPEC and m.spec is not None]
            assert len(specs) == 1, f"expected one SPEC message from {self.image}, got {len(specs)}"
            self._spec = specs[0]
        return self._spec

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        messages = list(self._run(["check", "--config", "/secrets/config.json"], {"config.json": config}))
        statuses = [m.connectionStatus for m in messages if m.type == Type.CONNECTION_STATUS and m.connectionStatus]
        assert len(statuses) == 1, f"expected one CONNECTION_STATUS message, got {len(statuses)}"
        return statuses[0]

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        messages = list(self._run(["discover", "--config", "/secrets/config.json"], {"config.json": config}))
        catalogs = [m.catalog for m in messages if m.type == Type.CATALOG and m.catalog is not None]
        assert len(catalogs) == 1, f"expected one CATALOG message, got {len(catalogs)}"
        return catalogs[0]

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: Any,
        state: Any = None,
    ) -> Iterator[AirbyteMessage]:
        files: dict[str, Any] = {"config.json": config, "catalog.json": catalog}
        args = ["read", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog.json"]
        if state is not None:
            files["state.json"] = state
            args += ["--state", "/secrets/state.json"]
        yield from self._run(args, files)

    # --- one docker run
    def _run(self, args: list[str], files: dict[str, Any]) -> Iterable[AirbyteMessage]:
        """Yields the image's messages; a non-zero exit raises after them (its TRACE ERROR among them)."""
        with tempfile.TemporaryDirectory(prefix="tap-crm-image-") as work:
            os.chmod(work, 0o755)
            for name, content in files.items():
                path = Path(work) / name
                path.write_text(json.dumps(content))
                path.chmod(0o644)
            mount = ["-v", f"{work}:/secrets:ro"] if files else []
            process = subprocess.Popen(
                ["docker", "run", "--rm", "-i", *mount, self.image, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert process.stdout is not None and process.stderr is not None
            for line in process.stdout:
                if line.startswith("{"):
                    yield AirbyteMessageSerializer.load(json.loads(line))
            stderr = process.stderr.read()
            code = process.wait()
        if code != 0:
            raise RuntimeError(f"`docker run {self.image} {args[0]}` exited {code}: {stderr[-2000:]}")


class TestTapCrmImage(SourceTestSuiteBase):
    """Every test of the FAST suite for a source, on the image named by --connector-image."""

    @classmethod
    def create_connector(cls, scenario: Any) -> ImageSource:
        image = os.environ.get(IMAGE_ENV)
        assert image, f"no image: pass --connector-image (conftest.py sets {IMAGE_ENV} from it)"
        return ImageSource(image)

