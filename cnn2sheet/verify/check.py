"""verify: evaluate a workbook in a spreadsheet engine and compare it with Keras."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from cnn2sheet.errors import OptionError, WorkbookError
from cnn2sheet.frontend import build_graph, load_model
from cnn2sheet.ir.program import port_name
from cnn2sheet.samples import load_samples
from cnn2sheet.verify.engines import open_session
from cnn2sheet.verify.report import DEFAULT_ATOL, DEFAULT_RTOL, OutputReport, VerifyReport

log = logging.getLogger(__name__)


def verify(
    model,
    workbook: str | os.PathLike,
    *,
    sample=None,
    engine: str = "formulas",
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> VerifyReport:
    """Evaluate ``workbook`` with ``engine`` and compare its outputs with ``model``'s.

    Without ``sample`` the workbook's own input cells are used (the sample it was compiled
    with). A sample file or array may hold a batch; every sample is checked.
    """
    _check_tolerance(rtol, atol)
    workbook = Path(workbook)
    if not workbook.is_file():
        raise WorkbookError(f"workbook '{workbook}' does not exist")
    model = load_model(model)
    graph = build_graph(model)
    in_names = [port_name("input", i, len(graph.inputs)) for i in range(len(graph.inputs))]
    out_names = [port_name("output", i, len(graph.outputs)) for i in range(len(graph.outputs))]
    shapes = [(name, t.shape) for name, t in graph.inputs]

    with open_session(engine, workbook) as session:
        if sample is None:
            stored = session.evaluate({}, in_names)
            batches = [stored[n].reshape(1, *s) for n, (_, s) in zip(in_names, shapes, strict=True)]
        else:
            batches = load_samples(sample, shapes)
        count = batches[0].shape[0]
        sheet = {name: [] for name in out_names}
        errors = {name: 0 for name in out_names}
        for k in range(count):
            inputs = {n: b[k] for n, b in zip(in_names, batches, strict=True)}
            got = session.evaluate(inputs, out_names)
            for name in out_names:
                sheet[name].append(got[name])
                errors[name] += len(session.last_errors.get(name, []))

    feed = [b.astype(np.float32) for b in batches]
    predicted = model.predict(feed[0] if len(feed) == 1 else feed, verbose=0)
    if not isinstance(predicted, list | tuple):
        predicted = [predicted]
    reports = [
        _compare(
            name,
            layer,
            np.stack(sheet[name]),
            np.asarray(keras).reshape(count, -1),
            errors[name],
            rtol,
            atol,
        )
        for name, (layer, _), keras in zip(out_names, graph.outputs, predicted, strict=True)
    ]
    report = VerifyReport(str(workbook), engine, count, rtol, atol, reports)
    log.info("verify %s with %s: %s", workbook, engine, "PASS" if report.passed else "FAIL")
    return report


def _compare(
    name, layer, sheet: np.ndarray, keras: np.ndarray, error_cells: int, rtol: float, atol: float
) -> OutputReport:
    keras = keras.astype(np.float64)
    diff = np.abs(sheet - keras)
    diff = np.where(np.isnan(diff), np.inf, diff)  # an error cell is as wrong as it gets
    rel = diff / np.maximum(np.abs(keras), np.finfo(float).tiny)
    excess = diff - np.maximum(atol, rtol * np.abs(keras))
    worst = np.unravel_index(int(np.argmax(excess)), diff.shape)
    return OutputReport(
        name=name,
        layer=layer,
        cells=sheet.shape[1],
        max_abs_error=float(diff.max()),
        max_rel_error=float(rel.max()),
        worst_sample=int(worst[0]),
        worst_cell=int(worst[1]),
        sheet_value=float(sheet[worst]),
        keras_value=float(keras[worst]),
        error_cells=error_cells,
        passed=bool((excess <= 0).all()),
    )


def _check_tolerance(rtol: float, atol: float) -> None:
    for label, value in (("rtol", rtol), ("atol", atol)):
        if not (np.isfinite(value) and value >= 0):
            raise OptionError(f"{label} must be a finite number ≥ 0, got {value!r}")
