"""Parses each line of a file with Meltano's own SingerSDKLogParser (the parser Meltano applies to a plugin
with the structured-logging capability), run with Meltano's Python by test/integration/meltano.test.ts.
Prints, as JSON: the lines, those the parser refused, and what the parsed ones carried.

Usage: python meltano_log_parse.py LOG_FILE
"""
import json
import sys

from meltano.core.logging.parsers import SingerSDKLogParser

parser = SingerSDKLogParser()
out = {"lines": 0, "refused": [], "levels": {}, "streams": {}, "metrics": 0, "messages": []}
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        if not line.strip():
            continue
        out["lines"] += 1
        record = parser.parse(line)
        if record is None:
            out["refused"].append(line[:300])
            continue
        level = str(record.level)
        out["levels"][level] = out["levels"].get(level, 0) + 1
        if record.stream_name:
            out["streams"][record.stream_name] = out["streams"].get(record.stream_name, 0) + 1
        if "metric_info" in record.extra:
            out["metrics"] += 1
        out["messages"].append(record.message[:200])
print(json.dumps(out))
