"""Evaluates map expressions with the Meltano SDK's own mapper, for maps-differential.test.ts.

Reads JSON lines on stdin, one case each: {"expr": "...", "record": "<a RECORD's JSON text>", "config": {...}}.
Each case is evaluated as an SDK tap with inline maps (and meltano-map-transform) evaluates a property:
singer_sdk.mapper.CustomStreamMap with the stream map {"p": expr} and stream_map_config `config`,
its transform() on the record read as singer_sdk reads a message (singerlib's deserialize_json:
numbers with a fraction or an exponent as Decimal), the value written as the SDK writes a RECORD
(singerlib's serialize_json). Writes one JSON line per case, in order:

  {"ok": true, "type": "<Python type>", "json": "<serialize_json text>"}
  {"ok": false, "error": "<exception class>", "message": "..."}
  {"runaway": "<why>"}   simpleeval let the expression run past 2 s or 2 GB: left out of the comparison

One change to the SDK's classes: no Faker instance is made for each map (tap-crm has no `fake`, and
making one takes longer than evaluating the expression).
"""

from __future__ import annotations

import json
import resource
import signal
import sys
import warnings

from singer_sdk.mapper import CustomStreamMap
from singer_sdk.singerlib.json import deserialize_json, serialize_json

SCHEMA = {"type": "object", "properties": {}}
TIME_LIMIT_S = 2.0
MEMORY_LIMIT = 2 << 30


class Runaway(Exception):
    """An evaluation that simpleeval did not stop."""


def _alarm(signum, frame):  # noqa: ARG001
    raise Runaway("time")


def _no_faker(self):  # noqa: ARG001
    return None


CustomStreamMap._init_faker_instance = _no_faker  # type: ignore[method-assign]


def evaluate(case: dict) -> dict:
    """One case's outcome, as a JSON-ready dict."""
    try:
        mapper = CustomStreamMap(
            stream_alias="s",
            map_config=case.get("config", {}),
            faker_config={},
            raw_schema=SCHEMA,
            key_properties=[],
            map_transform={"p": case["expr"]},
            flattening_options=None,
            stream_name="s",
        )
        record = deserialize_json(case["record"])
        signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
        try:
            out = mapper.transform(record)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        value = out["p"] if out else None
        return {"ok": True, "type": _type_name(value), "json": serialize_json(value)}
    except Runaway as error:
        return {"runaway": str(error)}
    except MemoryError:
        return {"runaway": "memory"}
    except Exception as error:  # noqa: BLE001 - every failure of the expression is an outcome
        cause = error.__cause__ if error.__cause__ is not None else error
        return {"ok": False, "error": type(cause).__name__, "message": str(cause)[:300]}


def _type_name(value: object) -> str:
    kind = type(value)
    if kind.__module__ in ("builtins", None):
        return kind.__name__
    return f"{kind.__module__}.{kind.__name__}"


def main() -> None:
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, _alarm)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    sys.setrecursionlimit(1000)
    for line in sys.stdin:
        if not line.strip():
            continue
        result = evaluate(json.loads(line))
        try:
            text = json.dumps(result)
        except (TypeError, ValueError):
            text = json.dumps({"ok": False, "error": "Unwritable", "message": "the outcome could not be written"})
        sys.stdout.write(text + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
