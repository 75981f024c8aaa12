"""Evaluate a program in float64, cell by cell, exactly as its formulas say.

This gives the cached value written with every formula, and a check of lowering and passes that
needs no spreadsheet engine.
"""

from __future__ import annotations

import math

import numpy as np

from cnn2sheet.ir.expr import Binary, Cells, Const, Dot, Expr, Func, Neg, Ref
from cnn2sheet.ir.program import Program
from cnn2sheet.progress import Progress, track_cells

_UNARY = {
    "EXP": np.exp, "LN": np.log, "TANH": np.tanh, "SQRT": np.sqrt, "ABS": np.abs,
    "ERF": math.erf,
}  # fmt: skip
_BINARY = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
    ">": np.greater, "<": np.less, ">=": np.greater_equal, "<=": np.less_equal,
    "=": np.equal, "<>": np.not_equal,
}  # fmt: skip
_AGGREGATE = {"MAX": np.max, "MIN": np.min, "SUM": np.sum}


def evaluate(program: Program, progress: Progress | None = None) -> np.ndarray:
    """Value of every cell, indexed by global id (NaN where a cell would show an error)."""
    values = np.full(program.id_limit, np.nan)
    with np.errstate(all="ignore"):
        for block in track_cells(program.blocks.values(), "evaluating", progress):
            ids = np.arange(block.start, block.start + block.size)
            if block.kind == "compute":
                values[ids] = [_eval(e, values) for e in block.exprs]
            elif block.kind == "text":
                values[ids] = np.nan  # words, not numbers
            else:
                values[ids] = block.values.ravel()
    values[~np.isfinite(values)] = np.nan
    return values


def _eval(expr: Expr, values: np.ndarray) -> float:
    if isinstance(expr, Ref):
        return values[expr.cell]
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Dot):
        return float(values[expr.xs] @ values[expr.ws]) if expr.xs.size else 0.0
    if isinstance(expr, Binary):
        return float(_BINARY[expr.op](_eval(expr.left, values), _eval(expr.right, values)))
    if isinstance(expr, Neg):
        return -_eval(expr.operand, values)
    if isinstance(expr, Func):
        return _call(expr, values)
    raise TypeError(f"cannot evaluate {type(expr).__name__}")


def _call(expr: Func, values: np.ndarray) -> float:
    name = expr.name
    if name in _AGGREGATE:
        parts = [values[a.ids] if isinstance(a, Cells) else [_eval(a, values)] for a in expr.args]
        return float(_AGGREGATE[name](np.concatenate(parts)))
    if name == "IF":
        condition, then, otherwise = expr.args
        return _eval(then if _eval(condition, values) else otherwise, values)
    if name == "INDEX":
        return _index(expr, values)
    if name in _UNARY:
        (arg,) = expr.args
        x = _eval(arg, values)
        return float(_UNARY[name](x)) if math.isfinite(x) else math.nan
    raise ValueError(f"no evaluator for function {name}")


def _index(expr: Func, values: np.ndarray) -> float:
    """INDEX(cells, k): the k-th cell, 1-based, k truncated as spreadsheets do; NaN outside.

    Outside the range a spreadsheet shows #REF! (or #VALUE! for a negative k).
    """
    table, position = expr.args
    k = _eval(position, values)
    if not math.isfinite(k):
        return math.nan
    k = math.trunc(k)
    return float(values[table.ids[k - 1]]) if 1 <= k <= table.ids.size else math.nan
