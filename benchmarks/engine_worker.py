"""Prove one workbook in one engine, in a process of its own, and report time and peak memory.

    python benchmarks/engine_worker.py ENGINE BOOK.xlsx SAMPLE.npy RESULT.json

Runs what ``cnn2sheet.verify`` asks of the engine for one sample — load the workbook, write the
sample into the ``input`` cells, recalculate, read the ``output`` cells — without Keras, so the
peak memory is the engine's (plus NumPy and openpyxl). Peak RSS is reported for this process
(``VmHWM``) and for the largest program it ran (``ssconvert``, LibreOffice; ``getrusage``).
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

from cnn2sheet.verify.engines import open_session


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM peak)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main(engine: str, book: str, sample_path: str, result_path: str) -> None:
    """Evaluate ``book`` in ``engine`` for the sample; write timings, memory and outputs."""
    sample = np.load(sample_path)
    before = _status_kb("VmRSS")

    began = time.perf_counter()
    session = open_session(engine, book)
    loaded = time.perf_counter()
    outputs = session.evaluate({"input": sample}, ["output"])
    evaluated = time.perf_counter()
    errors = len(session.last_errors.get("output", []))
    session.close()
    closed = time.perf_counter()

    result = {
        "load_s": loaded - began,
        "evaluate_s": evaluated - loaded,
        "close_s": closed - evaluated,
        "total_s": closed - began,
        "rss_before_kb": before,
        # Not getrusage(RUSAGE_SELF): Linux carries the parent's peak over fork and exec, so it
        # would report the benchmark's own (Keras-sized) memory. VmHWM belongs to this process.
        "peak_rss_kb": _status_kb("VmHWM"),
        "peak_child_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "error_cells": errors,
        "output": [float(v) for v in np.ravel(outputs["output"])],
    }
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main(*sys.argv[1:5])
