"""The self-check: a ``Check`` sheet where the workbook compares itself with Keras, live.

:func:`add_check` runs the model on the inputs the workbook holds and adds the comparison as
ordinary blocks of the program, all of the layer :data:`CHECK_LAYER`, so evaluation (cached
values), rendering, limits and lint treat them like every other cell; the layout puts that layer
on the sheet :data:`CHECK_SHEET` (:mod:`cnn2sheet.layout.check`)::

    verdict          largest |live − Keras|   rtol     atol
    PASS             3.1E-08                  0.0001   0.0001

    Keras output     live output      |live − Keras|     excess over tolerance
    0.0003 …         =model!B40 …     =ABS(B7-A7) …      =C7-MAX($D$3,$C$3*ABS(A7)) …

    the sample the workbook holds (a copy of the input cells)

The verdict is ``=IF(MAX(excess cells)<=0,"PASS","FAIL")``: every output cell within
``max(atol, rtol·|Keras|)`` of Keras's value, the rule ``verify`` applies. Change an input or a
weight and, after recalculation, it reads FAIL. Only portable functions and no array
sub-expressions: one helper cell per output cell carries each ``ABS``.
"""

from __future__ import annotations

import logging

import numpy as np

from cnn2sheet.formula import ast
from cnn2sheet.ir import Binary, Cells, Const, Func, Program, Ref
from cnn2sheet.verify.report import DEFAULT_ATOL, DEFAULT_RTOL

log = logging.getLogger(__name__)

# Keras forbids "/" in layer names, so no layer of a model can share this one.
CHECK_LAYER = "cnn2sheet/check"
CHECK_SHEET = "Check"
CLASS = "SelfCheck"

# Roles of the check blocks; the layout arranges them by role.
RTOL, ATOL, VERDICT, MAX_DEVIATION = "rtol", "atol", "verdict", "max deviation"
EXPECTED, LIVE, DEVIATION, EXCESS, SAMPLE = "expected", "live", "deviation", "excess", "sample"
SUMMARY = (VERDICT, MAX_DEVIATION, RTOL, ATOL)
PER_OUTPUT = (EXPECTED, LIVE, DEVIATION, EXCESS)


def keras_outputs(model, program: Program) -> list[np.ndarray]:
    """``model``'s outputs for the values of the program's input cells, one array per output."""
    feed = []
    for port, tensor in zip(program.inputs, model.inputs, strict=True):
        values = program.blocks[port.block].values
        feed.append(values.astype(str(tensor.dtype))[None])
    predicted = model.predict(feed[0] if len(feed) == 1 else feed, verbose=0)
    if not isinstance(predicted, list | tuple):
        predicted = [predicted]
    return [
        np.asarray(p, dtype=np.float64).reshape(port.shape)
        for p, port in zip(predicted, program.outputs, strict=True)
    ]


def add_check(
    program: Program,
    expected: list[np.ndarray],
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> None:
    """Add the check blocks comparing the program's outputs with ``expected`` (Keras's)."""
    rtol_id = _param(program, RTOL, "rtol", np.array(rtol))
    atol_id = _param(program, ATOL, "atol", np.array(atol))

    deviations, excesses = [], []
    for port, keras in zip(program.outputs, expected, strict=True):
        shape, live = port.shape, program.blocks[port.block].ids.ravel()
        want = _block(program, EXPECTED, f"Keras {port.name}", shape, values=keras)
        copy = _block(program, LIVE, f"live {port.name}", shape, [Ref(int(i)) for i in live])
        dev = [_abs(Binary("-", Ref(c), Ref(w))) for c, w in zip(copy, want, strict=True)]
        deviations.append(_block(program, DEVIATION, "|live − Keras|", shape, dev))
        excess = [
            _excess(d, w, rtol_id, atol_id) for d, w in zip(deviations[-1], want, strict=True)
        ]
        excesses.append(_block(program, EXCESS, "excess over tolerance", shape, excess))

    largest = Func("MAX", (Cells(np.concatenate(deviations)),))
    _block(program, MAX_DEVIATION, "largest |live − Keras|", (), [largest])
    # A number here (1 when every cell is within tolerance); the writer shows it as PASS/FAIL.
    passed = Binary("<=", Func("MAX", (Cells(np.concatenate(excesses)),)), Const(0.0))
    _block(program, VERDICT, "verdict", (), [passed])

    for port in program.inputs:
        stored = program.blocks[port.block].values
        _block(program, SAMPLE, f"sample in {port.name} ({port.layer})", port.shape, values=stored)
    log.debug("self-check added for %d output(s)", len(program.outputs))


def is_verdict(block) -> bool:
    """Whether ``block`` is the self-check's verdict cell."""
    return block.layer == CHECK_LAYER and block.role == VERDICT


def verdict_formula(condition: ast.Node, passed: float) -> tuple[ast.Node, str]:
    """The verdict cell's formula and cached text: ``IF(condition,"PASS","FAIL")``."""
    formula = ast.Call("IF", (condition, ast.String("PASS"), ast.String("FAIL")))
    return formula, "PASS" if passed == 1.0 else "FAIL"


def style_verdict(book, sheet, row: int, col: int) -> None:
    """Bold, green on PASS and red otherwise, so the verdict reads at a glance."""
    for criteria, color, fill in (("==", "#006100", "#C6EFCE"), ("!=", "#9C0006", "#FFC7CE")):
        look = book.add_format({"bold": True, "font_color": color, "bg_color": fill})
        rule = {"type": "cell", "criteria": criteria, "value": '"PASS"', "format": look}
        sheet.conditional_format(row, col, row, col, rule)


def _excess(deviation: int, keras: int, rtol: int, atol: int) -> Binary:
    """``deviation - MAX(atol, rtol*ABS(keras))``: at most 0 when the cell passes."""
    allowed = Func("MAX", (Ref(atol), Binary("*", Ref(rtol), _abs(Ref(keras)))))
    return Binary("-", Ref(deviation), allowed)


def _abs(expr) -> Func:
    return Func("ABS", (expr,))


def _param(program: Program, role: str, title: str, value: np.ndarray) -> int:
    return _block(program, role, title, (), values=value)[0]


def _block(program: Program, role: str, title: str, shape, exprs=None, values=None) -> list[int]:
    """Add a check block; returns its cell ids in C order."""
    block = program.add(
        f"{CHECK_LAYER}/{role}",
        CHECK_LAYER,
        "param" if exprs is None else "compute",
        shape,
        role=role,
        exprs=exprs,
        values=values,
        title=title,
        cls=CLASS,
    )
    return [int(i) for i in block.ids.ravel()]
