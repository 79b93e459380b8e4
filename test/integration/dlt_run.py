"""One dlt pipeline run of tap-crm into DuckDB, as docs/dlt.md shows it, run by test/integration/dlt.test.ts
(several times on the same pipeline: the later runs incremental from the state dlt kept).

Usage: python dlt_run.py WORK_DIR [STREAM,STREAM...]
The settings come from dlt's config, here environment variables (SOURCES__CRM__API_KEY, SOURCES__CRM__BASE_URL,
SOURCES__CRM__SETTINGS), as a user's .dlt/secrets.toml would give them. The pipeline's folder and the
DuckDB file are in WORK_DIR. It prints, as JSON on its last line, per table the ids and their duplicates, the
column types of tickets, tickets' updated_at by id and the streams of the Singer state dlt kept; or the
exception a failed run raised (type and message).
"""

import json
import pathlib
import sys

import dlt
import duckdb
from tap_crm.dlt import crm_source

work = pathlib.Path(sys.argv[1])
streams = sys.argv[2].split(",") if len(sys.argv) > 2 and sys.argv[2] else None

# --- docs/dlt.md's lines (a named pipeline and a DuckDB file in WORK_DIR) ---
pipeline = dlt.pipeline(
    pipeline_name="crm_pipeline",
    destination=dlt.destinations.duckdb(str(work / "crm_pipeline.duckdb")),
    dataset_name="crm",
    pipelines_dir=str(work / "pipelines"),
)
try:
    info = pipeline.run(crm_source(streams=streams))
except Exception as error:  # noqa: BLE001 (a failed run: what dlt raised, and the exception at its root)
    root: BaseException = error
    while root.__cause__ is not None:
        root = root.__cause__
    print(json.dumps({"error": type(error).__name__, "root": type(root).__name__, "message": str(error)}))
    sys.exit(0)
# ---

out: dict = {"ids": {}, "duplicates": {}, "types": {}, "tickets_updated_at": {}, "state_streams": []}
with duckdb.connect(str(work / "crm_pipeline.duckdb"), read_only=True) as con:
    tables = [r[0] for r in con.sql("select table_name from information_schema.tables where table_schema = 'crm'").fetchall()]
    for table in sorted(t for t in tables if not t.startswith("_dlt")):
        columns = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns where table_schema = 'crm' and table_name = ?",
                [table],
            ).fetchall()
        )
        if table == "tickets":
            out["types"][table] = columns
            rows = con.sql("select id, updated_at from crm.tickets").fetchall()
            out["tickets_updated_at"] = {str(i): u.isoformat() if u else None for i, u in rows}
        if "id" not in columns:
            continue
        ids = [r[0] for r in con.sql(f'select id from crm."{table}" order by id').fetchall()]
        out["ids"][table] = ids
        out["duplicates"][table] = len(ids) - len(set(ids))
state = pipeline.state.get("sources", {}).get("crm", {}).get("singer_state", {})
out["state_streams"] = sorted(state.get("bookmarks", {}))
print(json.dumps(out))
