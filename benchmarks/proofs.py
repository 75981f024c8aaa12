"""Run the engine worker once per engine and workbook; decide when ``formulas`` is too slow.

Each proof runs in a fresh process (``engine_worker.py``) so that its peak memory is its own.
``formulas`` costs about the same time per cell whether the cell holds a formula or a constant
(every cell is a node of its graph), so its time is estimated as seconds per cell, measured in
this run, times the workbook's cells; a proof whose estimate is over the budget is skipped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnn2sheet.verify.engines import ENGINES, available

WORKER = Path(__file__).resolve().with_name("engine_worker.py")
FORMULAS_CELL_LIMIT = 25_000  # formula cells above which `formulas` is never tried
TIMEOUT = {"formulas": 1800.0}  # seconds; other engines get DEFAULT_TIMEOUT
DEFAULT_TIMEOUT = 600.0


def engines() -> list[str]:
    """The engines installed on this machine, in the project's order."""
    return [e for e in ENGINES if available(e)]


@dataclass
class FormulasRate:
    """Seconds per workbook cell of ``formulas`` proofs measured so far in this run."""

    seconds: float = 0.0
    cells: int = 0
    budget: float = 120.0
    samples: list[tuple[str, int, float]] = field(default_factory=list)

    def add(self, label: str, cells: int, seconds: float) -> None:
        self.seconds += seconds
        self.cells += cells
        self.samples.append((label, cells, seconds))

    @property
    def per_cell(self) -> float:
        return self.seconds / self.cells if self.cells else float("nan")

    def estimate(self, cells: int) -> float:
        return self.per_cell * cells

    def skip_reason(self, formula_cells: int, cells: int) -> str | None:
        """Why a ``formulas`` proof of a workbook of this size is skipped, or None."""
        est = self.estimate(cells)
        if formula_cells > FORMULAS_CELL_LIMIT:
            return f"skipped: too slow (est. {est:,.0f} s; over {FORMULAS_CELL_LIMIT:,} formulas)"
        if est > self.budget:
            return f"skipped: too slow (est. {est:,.0f} s; budget {self.budget:,.0f} s)"
        return None


def prove(engine: str, book: Path, sample: np.ndarray) -> dict:
    """Evaluate ``book`` with ``sample`` in ``engine`` in a worker process; its report."""
    with tempfile.TemporaryDirectory(prefix="cnn2sheet-bench-") as folder:
        sample_path, result_path = Path(folder) / "sample.npy", Path(folder) / "result.json"
        np.save(sample_path, sample.astype(np.float64))
        command = [sys.executable, str(WORKER), engine, str(book), str(sample_path)]
        began = time.perf_counter()
        proc = subprocess.Popen(
            [*command, str(result_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # one process group, to stop it whole on a timeout
        )
        try:
            _, stderr = proc.communicate(timeout=TIMEOUT.get(engine, DEFAULT_TIMEOUT))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"status": f"timeout after {TIMEOUT.get(engine, DEFAULT_TIMEOUT):.0f} s"}
        wall = time.perf_counter() - began
        if proc.returncode != 0 or not result_path.exists():
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            return {"status": f"failed (exit {proc.returncode}): {' | '.join(tail)}"}
        result = json.loads(result_path.read_text(encoding="utf-8"))
    result["process_s"] = wall
    result["peak_mb"] = max(result["peak_rss_kb"], result["peak_child_rss_kb"]) / 1024
    result["status"] = "ok"
    return result


def compare(result: dict, keras_out: np.ndarray, rtol: float = 1e-4, atol: float = 1e-4) -> None:
    """Add the error against Keras to a proof's report, by the rule ``verify`` applies."""
    if result.get("status") != "ok":
        return
    sheet = np.asarray(result.pop("output"), dtype=np.float64)
    keras = np.asarray(keras_out, dtype=np.float64).ravel()
    diff = np.abs(sheet - keras)
    diff = np.where(np.isnan(diff), np.inf, diff)
    result["max_abs_error"] = float(diff.max())
    result["passed"] = bool((diff <= np.maximum(atol, rtol * np.abs(keras))).all())
