"""Activations that read a whole axis: softmax, log_softmax, sparsemax and GLU.

A reduction over a group of cells (its maximum, a sum of exponentials) gets a helper cell of its
own: an array expression such as ``SUM(EXP(range))`` inside one formula is not portable. Helpers
run group by group so each group's cells form one range; the output block keeps the tensor's own
order.
"""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Binary, Cells, Const, Dot, Expr, Func, Ref
from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering.axes import Groups, group_along
from cnn2sheet.lowering.builder import Builder
from cnn2sheet.lowering.elementwise import call, cell, div, mul, num, sigmoid, sub, when


def _axes(ids: np.ndarray, axis) -> tuple[int, ...]:
    listed = list(axis) if isinstance(axis, list | tuple) else [axis]
    return tuple(sorted(int(a) % ids.ndim for a in listed))


def _natural(builder: Builder, ids, groups: Groups, fn, role: str, title: str) -> np.ndarray:
    """The output block in the tensor's order: ``fn(input id, group, slot)`` per cell."""
    flat = ids.ravel()
    exprs = (fn(flat[k], int(groups.group[k]), int(groups.slot[k])) for k in range(flat.size))
    return builder.compute(ids.shape, exprs, role=role, title=title)


def _max_of(group: np.ndarray) -> Expr:
    real = group[group != ZERO]
    args: tuple[Expr, ...] = (Cells(real),)
    if real.size < group.size:
        args += (Const(0.0),)
    return Func("MAX", args)


def _exp_helpers(builder: Builder, groups: Groups, prefix: str):
    """Per group: its maximum, e^(x − max) per cell, and the sum of those."""
    maxes = builder.compute(
        (len(groups.cells),), (_max_of(g) for g in groups.cells), role=f"{prefix} max"
    )
    exps = builder.compute(
        groups.cells.shape,
        (
            call("EXP", sub(cell(x), Ref(int(m))))
            for g, m in zip(groups.cells, maxes, strict=True)
            for x in g
        ),
        role=f"{prefix} exp",
    )
    sums = builder.compute(
        maxes.shape, (call("SUM", Cells(row)) for row in exps), role=f"{prefix} sum"
    )
    return maxes, exps, sums


def softmax(builder: Builder, ids: np.ndarray, *, axis=-1, role: str = "output") -> np.ndarray:
    """exp(x − max) / Σ exp(x − max) over ``axis`` (one axis or several), via helper cells.

    Subtracting each group's maximum keeps EXP from overflowing; the sum is a plain SUM over the
    exp cells because ``SUM(EXP(range))`` is not portable.
    """
    groups = group_along(ids, _axes(ids, axis))
    _, exps, sums = _exp_helpers(builder, groups, "softmax")
    return _natural(
        builder,
        ids,
        groups,
        lambda x, g, s: div(Ref(int(exps[g, s])), Ref(int(sums[g]))),
        role,
        f"{builder.title}: softmax",
    )


def log_softmax(builder: Builder, ids: np.ndarray, *, axis=-1, role: str = "output") -> np.ndarray:
    """(x − max) − ln Σ exp(x − max) over ``axis``, with softmax's helper cells."""
    groups = group_along(ids, _axes(ids, axis))
    maxes, _, sums = _exp_helpers(builder, groups, "log_softmax")
    return _natural(
        builder,
        ids,
        groups,
        lambda x, g, s: sub(sub(cell(x), Ref(int(maxes[g]))), call("LN", Ref(int(sums[g])))),
        role,
        f"{builder.title}: log_softmax",
    )


def sparsemax(builder: Builder, ids: np.ndarray, *, axis=-1, role: str = "output") -> np.ndarray:
    """Keras's sparsemax over ``axis``, with the threshold computed exactly as Keras does.

    Keras sorts each group, takes running sums C_k, keeps the positions k where
    z_(k) − (C_k − 1)/k > 0, and sets τ = (Σ over those k of C_k − 1) / their count. The workbook
    does not sort: helper ``ahead[i, j]`` is 1 when z_j comes at or before z_i in the sorted
    order (ties broken by position, as a stable sort would), so SUM(ahead[i]) is z_i's rank k
    and SUMPRODUCT(ahead[i], z) its running sum C_k. That costs n² helper cells per group.
    """
    groups = group_along(ids, _axes(ids, axis))
    n = groups.size
    ahead = builder.compute(
        (len(groups.cells), n, n),
        (_ahead(g, i, j) for g in groups.cells for i in range(n) for j in range(n)),
        role="sparsemax ahead",
    )
    ranks = builder.compute(
        groups.cells.shape,
        (call("SUM", Cells(row)) for g in ahead for row in g),
        role="sparsemax rank",
    )
    running = builder.compute(
        groups.cells.shape,
        (_dot(row, g) for g, rows in zip(groups.cells, ahead, strict=True) for row in rows),
        role="sparsemax running sum",
    )
    support = builder.compute(
        groups.cells.shape,
        (
            _in_support(cell(z), Ref(int(c)), Ref(int(k)))
            for zs, cs, ks in zip(groups.cells, running, ranks, strict=True)
            for z, c, k in zip(zs, cs, ks, strict=True)
        ),
        role="sparsemax support",
    )
    taus = builder.compute(
        (len(groups.cells),),
        (
            div(sub(Dot(s, c), num(1)), call("SUM", Cells(s)))
            for s, c in zip(support, running, strict=True)
        ),
        role="sparsemax threshold",
    )
    return _natural(
        builder,
        ids,
        groups,
        lambda x, g, s: call("MAX", sub(cell(x), Ref(int(taus[g]))), num(0)),
        role,
        f"{builder.title}: sparsemax",
    )


def _ahead(group: np.ndarray, i: int, j: int) -> Expr:
    if i == j:
        return num(1)
    # Earlier positions win ties, so exactly one of ahead[i, j] and ahead[j, i] is 1.
    op = ">=" if j < i else ">"
    return when(Binary(op, cell(group[j]), cell(group[i])), num(1), num(0))


def _dot(weights: np.ndarray, values: np.ndarray) -> Expr:
    keep = values != ZERO
    return Dot(weights[keep], values[keep]) if keep.any() else num(0)


def _in_support(z: Expr, running: Expr, rank: Expr) -> Expr:
    margin = sub(z, div(sub(running, num(1)), rank))
    return when(Binary(">", margin, num(0)), num(1), num(0))


def glu(builder: Builder, ids: np.ndarray, *, axis=-1, role: str = "output") -> np.ndarray:
    """a·sigmoid(b), where a and b are the first and second halves of ``axis``."""
    (axis,) = _axes(ids, axis)
    a, b = np.split(ids, 2, axis=axis)
    return builder.compute(
        a.shape,
        (mul(cell(x), sigmoid(cell(y))) for x, y in zip(a.ravel(), b.ravel(), strict=True)),
        role=role,
        title=f"{builder.title}: glu",
    )


ALONG_AXIS = {"softmax": softmax, "log_softmax": log_softmax, "sparsemax": sparsemax, "glu": glu}
"""Activations over an axis: name → ``fn(builder, ids, axis=, role=)`` (axes without batch)."""
