"""Mean, deviations and variance of groups of cells, as helper cells a reader can follow.

The variance is the mean of squared deviations (two passes, as ``tf.nn.moments`` computes it),
written ``SUMPRODUCT(d, d)/n`` over a block of deviation cells: a plain range, never an array
expression such as ``SUMPRODUCT((x-m)^2)``, which not every engine accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn2sheet.ir import Cells, Dot, Expr, Ref
from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering.axes import Groups
from cnn2sheet.lowering.builder import Builder
from cnn2sheet.lowering.elementwise import add, call, cell, div, mul, num, sub


@dataclass(frozen=True)
class Moments:
    """Helper cells of grouped statistics: ``mean[g]``, ``deviation[g, i]``, ``variance[g]``."""

    mean: np.ndarray
    deviation: np.ndarray
    variance: np.ndarray


def total(ids: np.ndarray) -> Expr:
    """SUM of the cells ``ids`` (implicit zeros left out; 0 when none is left)."""
    real = ids[ids != ZERO]
    return call("SUM", Cells(real)) if real.size else num(0)


def sum_of_squares(ids: np.ndarray) -> Expr:
    """Σ x² over ``ids`` as SUMPRODUCT(x, x) (implicit zeros left out)."""
    real = ids[ids != ZERO]
    return Dot(real, real) if real.size else num(0)


def moments(builder: Builder, groups: Groups, prefix: str = "") -> Moments:
    """Blocks ``mean``, ``deviation`` and ``variance`` (each role prefixed by ``prefix``)."""
    n = groups.size
    lead = f"{prefix} " if prefix else ""
    means = builder.compute(
        (len(groups.cells),), (div(total(g), num(n)) for g in groups.cells), role=f"{lead}mean"
    )
    deviations = builder.compute(
        groups.cells.shape,
        (sub(cell(x), Ref(int(m))) for g, m in zip(groups.cells, means, strict=True) for x in g),
        role=f"{lead}deviation",
    )
    variances = builder.compute(
        means.shape,
        (div(Dot(d, d), num(n)) for d in deviations),
        role=f"{lead}variance",
    )
    return Moments(means, deviations, variances)


def standardize(
    centered: Expr, variance: Expr, epsilon: float, gamma: Expr | None, beta: Expr | None
) -> Expr:
    """``centered / SQRT(variance + ε) · γ + β`` (γ and β when present), as Keras normalizes."""
    expr = div(centered, call("SQRT", add(variance, num(epsilon))))
    if gamma is not None:
        expr = mul(expr, gamma)
    if beta is not None:
        expr = add(expr, beta)
    return expr


def spread(param_ids: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """Weight ids laid along ``axes`` of a tensor of ``shape``, broadcast to the whole tensor."""
    placed = [shape[a] if a in axes else 1 for a in range(len(shape))]
    return np.broadcast_to(param_ids.reshape(placed), shape)
