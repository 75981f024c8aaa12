"""verify: evaluate a workbook in spreadsheet engines and compare it with Keras, layer by layer.

For every sample, one session of each engine (the workbook loaded once) writes the inputs,
recalculates and reads the model outputs and the cells of every layer that has a block of its
own (see :mod:`cnn2sheet.verify.layers`); Keras computes the same outputs and layer outputs in
one batched call. A mismatch is then traced to the first layer, in model order, that departs
from Keras.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cnn2sheet.backend.check_sheet import CHECK_LAYER, MAX_DEVIATION, VERDICT
from cnn2sheet.backend.manifest import Entry, read_manifest
from cnn2sheet.errors import OptionError, WorkbookError
from cnn2sheet.frontend import build_graph, load_model
from cnn2sheet.ir.program import port_name
from cnn2sheet.samples import load_samples
from cnn2sheet.verify.engines import WorkbookNames, open_session, require
from cnn2sheet.verify.layers import Probe, Watch, keras_outputs, plan_probes, port_watch
from cnn2sheet.verify.report import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    Figures,
    LayerReport,
    OutputReport,
    SelfCheck,
    VerifyReport,
)

log = logging.getLogger(__name__)

#: Called after each sample: (engine, samples done, samples in all).
Progress = Callable[[str, int, int], None]


def verify(
    model,
    workbook: str | os.PathLike,
    *,
    sample=None,
    engine: str = "formulas",
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    layers: bool = True,
    progress: Progress | None = None,
) -> VerifyReport:
    """Evaluate ``workbook`` with ``engine`` and compare its outputs with ``model``'s.

    Without ``sample`` the workbook's own input cells are used (the sample it was compiled
    with). A sample file or array may hold a batch; every sample is checked in one session.
    With ``layers`` every layer with cells of its own is compared too, and a mismatch names
    the first layer that diverges.
    """
    return verify_engines(
        model,
        workbook,
        [engine],
        sample=sample,
        rtol=rtol,
        atol=atol,
        layers=layers,
        progress=progress,
    )[0]


def verify_engines(
    model,
    workbook: str | os.PathLike,
    engines: Sequence[str],
    *,
    sample=None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    layers: bool = True,
    progress: Progress | None = None,
) -> list[VerifyReport]:
    """:func:`verify` under each of ``engines``, computing Keras's side only once."""
    _check_tolerance(rtol, atol)
    for engine in engines:
        require(engine)  # an unknown or missing engine fails before any work
    workbook = Path(workbook)
    if not workbook.is_file():
        raise WorkbookError(f"workbook '{workbook}' does not exist")
    subject = _Subject(load_model(model), workbook, sample, layers)
    return [subject.run(engine, rtol, atol, progress) for engine in engines]


class _Subject:
    """The model and the workbook as verify sees them, with Keras's answers for the samples."""

    def __init__(self, model, workbook: Path, sample, layers: bool) -> None:
        self.workbook = workbook
        graph = build_graph(model)
        try:
            self.names = WorkbookNames.read(workbook)
        except Exception as exc:  # openpyxl raises several types for a broken file
            raise WorkbookError(f"cannot read workbook '{workbook}': {exc}") from exc
        entries = _manifest(workbook) if layers or sample is None else []
        count = len(graph.inputs)
        self.inputs = [
            port_watch(self.names, port_name("input", i, count), t.shape)
            for i, (_, t) in enumerate(graph.inputs)
        ]
        count = len(graph.outputs)
        self.outputs = [
            (layer, port_watch(self.names, port_name("output", i, count), t.shape))
            for i, (layer, t) in enumerate(graph.outputs)
        ]
        self.probes = plan_probes(graph, entries, self.names) if layers and entries else []
        self.stored = sample is None
        self.check = _check_cells(entries) if self.stored else []

        if sample is None:
            self.batches = [self._stored(w) for w in self.inputs]
        else:
            self.batches = load_samples(sample, [(n, t.shape) for n, t in graph.inputs])
        self.count = self.batches[0].shape[0]
        answers = keras_outputs(model, self.probes, self.batches)
        self.keras_outputs = answers[: len(self.outputs)]
        self.keras_layers = answers[len(self.outputs) :]

    def _stored(self, watch: Watch) -> np.ndarray:
        """The numbers an input's cells hold in the file, as a batch of one."""
        import openpyxl

        area = watch.area
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(self.workbook, read_only=True)
        try:
            rows = book[area.sheet].iter_rows(
                min_row=area.min_row,
                max_row=area.max_row,
                min_col=area.min_col,
                max_col=area.max_col,
                values_only=True,
            )
            cells = [v for row in rows for v in row][: watch.size]
        finally:
            book.close()
        bad = [k for k, v in enumerate(cells) if not isinstance(v, int | float)]
        if bad:
            raise WorkbookError(
                f"input {watch.target} ({watch.address(bad[0])}) holds {cells[bad[0]]!r}, "
                "not a number; give samples with --input"
            )
        return np.asarray(cells, dtype=np.float64).reshape(1, *watch.shape)

    def run(self, engine: str, rtol: float, atol: float, progress: Progress | None) -> VerifyReport:
        """Evaluate every sample in one session of ``engine`` and compare."""
        compared = [p for p in self.probes if p.watch is not None]
        watches = [w for _, w in self.outputs] + [p.watch for p in compared]
        targets = list(dict.fromkeys([w.target for w in watches] + self.check))
        sheet = [np.empty((self.count, w.size)) for w in watches]
        problems: list[dict[str, str]] = [{} for _ in watches]
        shown = None

        with open_session(engine, self.workbook) as session:
            for k in range(self.count):
                # The stored sample needs no writing: the workbook already holds it.
                got = session.evaluate({} if self.stored else self._inputs(k), targets)
                for j, w in enumerate(watches):
                    sheet[j][k] = got[w.target][w.positions]
                    problems[j].update(session.last_errors.get(w.target, []))
                if self.check:
                    shown = _self_check(self.check, got, session.last_errors)
                if progress is not None:
                    progress(engine, k + 1, self.count)

        keras = self.keras_outputs + self.keras_layers
        figures = [
            _compare(s, y, w, p, rtol, atol)
            for s, y, w, p in zip(sheet, keras, watches, problems, strict=True)
        ]
        outputs = [
            OutputReport(w.target, layer, f)
            for (layer, w), f in zip(self.outputs, figures, strict=False)
        ]
        by_probe = dict(zip(map(id, compared), figures[len(self.outputs) :], strict=True))
        layers = [_layer_report(p, by_probe.get(id(p))) for p in self.probes]
        report = VerifyReport(
            str(self.workbook), engine, self.count, rtol, atol, outputs, layers, shown
        )
        log.info(
            "verify %s with %s: %s", self.workbook, engine, "PASS" if report.passed else "FAIL"
        )
        return report

    def _inputs(self, k: int) -> dict[str, np.ndarray]:
        return {w.target: b[k] for w, b in zip(self.inputs, self.batches, strict=True)}


def _compare(
    sheet: np.ndarray,
    keras: np.ndarray,
    watch: Watch,
    problems: dict[str, str],
    rtol: float,
    atol: float,
) -> Figures:
    """Error figures of ``sheet`` against ``keras``, both (samples, cells)."""
    diff = np.abs(sheet - keras)
    diff = np.where(np.isnan(diff), np.inf, diff)  # a cell without a number is as wrong as it gets
    rel = diff / np.maximum(np.abs(keras), np.finfo(float).tiny)
    excess = diff - np.maximum(atol, rtol * np.abs(keras))
    sample, cell = np.unravel_index(int(np.argmax(excess)), diff.shape)
    missing = np.argwhere(np.isnan(sheet))
    first_error = ""
    if missing.size:
        address = watch.address(int(missing[0][1]))
        first_error = f"{address}: {problems.get(address, 'not a number')}"
    return Figures(
        cells=watch.size,
        max_abs_error=float(diff.max(initial=0.0)),
        max_rel_error=float(rel.max(initial=0.0)),
        excess=float(excess.max(initial=-np.inf)),
        worst_sample=int(sample),
        worst_cell=int(cell),
        worst_address=watch.address(int(cell)),
        sheet_value=float(sheet[sample, cell]),
        keras_value=float(keras[sample, cell]),
        error_cells=int(missing.shape[0]),
        first_error=first_error,
        passed=bool((excess <= 0).all()),
    )


def _manifest(workbook: Path) -> list[Entry]:
    """The manifest, or nothing for a workbook without one: then only outputs are compared."""
    try:
        return read_manifest(workbook)
    except WorkbookError as exc:
        log.warning("%s; comparing the outputs only", exc)
        return []


def _layer_report(probe: Probe, figures: Figures | None) -> LayerReport:
    if probe.watch is None:
        return LayerReport(probe.name, probe.cls, skipped=probe.skipped)
    return LayerReport(probe.name, probe.cls, probe.block, probe.watch.target, figures)


def _check_cells(entries: list[Entry]) -> list[str]:
    """Ranges of the Check sheet's verdict and largest-deviation cells, if the workbook has them."""
    found = {e.role: e.range for e in entries if e.layer == CHECK_LAYER}
    if VERDICT not in found or MAX_DEVIATION not in found:
        return []
    return [found[VERDICT], found[MAX_DEVIATION]]


def _self_check(check: list[str], got: dict, errors: dict) -> SelfCheck:
    """What the Check sheet shows: its verdict is text, which a session reports as a problem."""
    verdict_range, deviation_range = check
    problems = [problem for _, problem in errors.get(verdict_range, [])]
    verdict = problems[0] if problems else f"the number {got[verdict_range][0]!r}"
    for word in ("PASS", "FAIL"):
        if verdict == f"text {word!r}":
            verdict = word
    return SelfCheck(verdict, float(got[deviation_range][0]))


def _check_tolerance(rtol: float, atol: float) -> None:
    for label, value in (("rtol", rtol), ("atol", atol)):
        if not (np.isfinite(value) and value >= 0):
            raise OptionError(f"{label} must be a finite number ≥ 0, got {value!r}")
