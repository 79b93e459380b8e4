"""One PyAirbyte read of tap-crm into a DuckDB cache, as the README's Airbyte section shows it, run by
test/integration/airbyte.test.ts (twice on the same cache for an incremental read). It prints, as JSON on
its last line, the ids in the cache per stream and their duplicates, or the exception a failed read raised.

Usage: python pyairbyte_read.py WORK_DIR EXECUTABLE CONFIG_JSON STREAM[,STREAM...] [COLUMN_PREFIX]
With COLUMN_PREFIX, the values of each stream's columns whose names start with it are printed too, by id.
EXECUTABLE `docker_image=IMAGE` runs the container image instead (image.test.ts), with `docker` on the PATH;
`pip_url=URL` has PyAirbyte install the package from URL (a folder: the repository) and run its source-tap-crm.
PyAirbyte's folders (logs, temp files, cache) all go under WORK_DIR; nothing goes to the network.
"""
import json
import os
import pathlib
import sys

work, executable, config_file, streams = sys.argv[1:5]
column_prefix = sys.argv[5] if len(sys.argv) > 5 else None
work = pathlib.Path(work)
(work / "tmp").mkdir(parents=True, exist_ok=True)
# Read by PyAirbyte at import: offline (no registry look-up), no telemetry, every folder in WORK_DIR.
os.environ.update(
    AIRBYTE_OFFLINE_MODE="1",
    DO_NOT_TRACK="1",
    HOME=str(work),
    AIRBYTE_LOGGING_ROOT=str(work / "logs"),
    AIRBYTE_TEMP_DIR=str(work / "tmp"),
    AIRBYTE_PROJECT_DIR=str(work),
    AIRBYTE_CACHE_ROOT=str(work / "cache"),
)

# pip_url=: PyAirbyte installs with the uv beside its Python, found on the PATH as in an activated venv.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

import airbyte as ab  # noqa: E402
from airbyte.caches import DuckDBCache  # noqa: E402

# --- the README's lines (docker_image=: those of docs/airbyte-platform.md) ---
config = json.loads(pathlib.Path(config_file).read_text())
if executable.startswith("docker_image="):
    source = ab.get_source("source-tap-crm", docker_image=executable.removeprefix("docker_image="), config=config)
elif executable.startswith("pip_url="):
    source = ab.get_source("source-tap-crm", pip_url=executable.removeprefix("pip_url="), config=config)
else:
    source = ab.get_source("source-tap-crm", local_executable=executable, config=config)
source.check()
source.select_streams(streams.split(","))
cache = DuckDBCache(db_path=str(work / "crm.duckdb"), cache_dir=str(work / "cache"))
# ---
try:
    result = source.read(cache=cache)
except Exception as error:  # a failed read: what PyAirbyte raised
    print(json.dumps({"error": type(error).__name__, "message": str(error).splitlines()[0]}))
    sys.exit(0)

with cache.get_sql_engine().connect() as connection:
    import sqlalchemy as sa

    out = {"ids": {}, "duplicates": {}, "types": {}, "rows": {}, "states": []}
    for name in streams.split(","):
        columns = connection.execute(sa.text(f"select column_name, data_type from information_schema.columns where table_name = '{name}'"))
        out["types"][name] = {column: data_type for column, data_type in columns}
        out["rows"][name] = connection.execute(sa.text(f'select count(*) from main."{name}"')).scalar()
        if "id" not in out["types"][name]:
            continue  # asset_patches: keyed by other columns
        ids = [row[0] for row in connection.execute(sa.text(f'select id from main."{name}" order by id'))]
        out["ids"][name] = ids
        # Tombstones: the rows whose _ab_cdc_deleted_at is set (records deleted from the API).
        if "_ab_cdc_deleted_at" in out["types"][name]:
            query = f'select id from main."{name}" where _ab_cdc_deleted_at is not null order by id'
            out.setdefault("deleted", {})[name] = [row[0] for row in connection.execute(sa.text(query))]
        out["duplicates"][name] = len(ids) - len(set(ids))
        if column_prefix:
            wanted = sorted(c for c in out["types"][name] if c.startswith(column_prefix)) + ["_drifted"]
            query = f'select id, {", ".join(chr(34) + c + chr(34) for c in wanted)} from main."{name}" order by id'
            rows = connection.execute(sa.text(query))
            out.setdefault("values", {})[name] = {str(row[0]): dict(zip(wanted, row[1:])) for row in rows}
    # The streams whose state PyAirbyte kept for the next read (a STATE of a stream not in the catalog is not kept).
    out["states"] = sorted(row[0] for row in connection.execute(sa.text("select stream_name from main._airbyte_state")))
print(json.dumps(out))
