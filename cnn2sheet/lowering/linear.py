"""The shared core of Dense and convolutions: weighted sums of windows, bias, activation."""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Binary, Dot, Expr, Ref
from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering import activations
from cnn2sheet.lowering.builder import Builder


def weighted_sums(windows: np.ndarray, weights: np.ndarray, bias: np.ndarray | None) -> list[Expr]:
    """One expression per (window, unit), window-major: Σ window·weights[unit] (+ bias[unit]).

    ``windows`` is ``(n, k)`` input ids (padding is ZERO and drops out of the sum),
    ``weights`` ``(units, k)`` weight ids, ``bias`` ``(units,)`` ids or None.
    """
    exprs: list[Expr] = []
    for window in windows:
        keep = window != ZERO
        xs = window[keep]
        for unit, row in enumerate(weights):
            expr: Expr = Dot(xs, row[keep])
            if bias is not None:
                expr = Binary("+", expr, Ref(int(bias[unit])))
            exprs.append(expr)
    return exprs


def with_activation(builder: Builder, shape: tuple[int, ...], exprs: list[Expr]) -> np.ndarray:
    """The layer's linear cells, then its ``activation=`` as cells of their own.

    The fuse_activations pass later folds an elementwise activation back into these cells;
    lowering keeps them apart so each stage stays simple.
    """
    name = activations.activation_name(builder.op.layer.activation)
    role = "output" if name == "linear" else "linear"
    linear = builder.compute(shape, exprs, role=role)
    return activations.apply(builder, linear, name)
