"""Assertions for users' own test suites: the workbook in CI, next to the model.

>>> from cnn2sheet.testing import assert_workbook_matches
>>> def test_workbook_is_the_model():  # doctest: +SKIP
...     assert_workbook_matches("model.keras", "model.xlsx", inputs="holdout.npz")

A failure raises :class:`AssertionError` whose message names the first layer that diverges,
the cell and both values, followed by the full report (per-output and per-layer errors).
"""

from __future__ import annotations

import os

from cnn2sheet.verify.check import verify
from cnn2sheet.verify.report import DEFAULT_ATOL, DEFAULT_RTOL, VerifyReport

__all__ = ["assert_workbook_matches"]


def assert_workbook_matches(
    model,
    path: str | os.PathLike,
    inputs=None,
    engine: str = "formulas",
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> VerifyReport:
    """Assert that the workbook at ``path`` computes what ``model`` computes on ``inputs``.

    ``inputs`` is anything ``verify`` takes as a sample (an array or batch, a dict by input
    name, a .npy/.npz path); without it the sample stored in the workbook is used. Returns the
    report when every output and every compared layer is within tolerance.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    report = verify(model, path, sample=inputs, engine=engine, rtol=rtol, atol=atol)
    if not report.passed:
        raise AssertionError(f"{report.diagnosis()}\n\n{report.to_text()}")
    return report
