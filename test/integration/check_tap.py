"""singer-check-tap (singer-tools 0.4.1) with three bugs of its own fixed, and nothing else changed.

Run with the Python of .venv/singer-tools, with singer-check-tap's own arguments (--tap, --config).
It still runs the tap, validates every RECORD against the latest SCHEMA of its stream (Draft 4, formats
checked, date-times parsed as strict RFC 3339), requires SCHEMA before RECORD and exit code 0, and runs
the tap again with the last STATE. The bugs, all in singertools/check_tap.py:

1. Its date-time check (`extend_with_default`) runs for every `properties` keyword, also where the
   instance is not an object, and calls `instance.get` on it: any RECORD with a null nested object whose
   schema declares a date-time sub-property (appointments.ticket = null, say) crashes the checker with
   AttributeError although the record is valid. Fixed: the check applies to objects only, as intended.
2. `run_and_summarize` returns as soon as the tap exits, without waiting for the thread that reads and
   validates the tap's output: the summary may be missing (None) or short. Fixed: it joins the thread.
3. When validation fails, the reader thread dies and stops reading: the tap then blocks forever on a
   full stdout pipe, and singer-check-tap hangs. Fixed: the thread keeps draining the pipe, and the
   check fails with the validation error.
"""

import subprocess
import sys
import threading
import traceback
from datetime import datetime
from subprocess import Popen

from jsonschema import validators
from strict_rfc3339 import rfc3339_to_timestamp

import singertools.check_tap as check_tap


def extend_with_default(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        for error in validate_properties(validator, properties, instance, schema):
            yield error
        if not isinstance(instance, dict):  # fix 1
            return
        for prop, subschema in properties.items():
            if "format" in subschema:
                if subschema["format"] == "date-time" and instance.get(prop) is not None:
                    try:
                        datetime.utcfromtimestamp(rfc3339_to_timestamp(instance[prop]))
                    except Exception:
                        raise Exception("Error parsing property {}, value {}".format(prop, instance[prop]))

    return validators.extend(validator_class, {"properties": set_defaults})


class Reader(threading.Thread):
    def __init__(self, process):
        super().__init__()
        self.process = process
        self.summary = None
        self.error = None

    def run(self):
        try:
            self.summary = check_tap.summarize_output(self.process.stdout)
        except BaseException as e:  # fix 3: record the failure and let the tap finish
            self.error = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            for _ in self.process.stdout:
                pass


def run_and_summarize(tap, config, state=None, debug=False):
    cmd = [tap, "--config", config]
    if state:
        cmd += ["--state", state]
    print("Running command {}".format(" ".join(cmd)))
    stderr = None if debug else subprocess.DEVNULL
    proc = Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, bufsize=1, universal_newlines=True)
    reader = Reader(proc)
    reader.start()
    returncode = proc.wait()
    reader.join()  # fix 2
    if returncode != 0:
        print("ERROR: tap exited with status {}".format(returncode))
        sys.exit(1)
    if reader.error is not None:
        print("ERROR: the output of the tap is invalid:\n{}".format(reader.error))
        sys.exit(1)
    return reader.summary


check_tap.extend_with_default = extend_with_default
check_tap.run_and_summarize = run_and_summarize

if __name__ == "__main__":
    check_tap.main()
