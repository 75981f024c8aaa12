"""Small expression builders shared by the sequence layers: sums of terms and safe dot products."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cnn2sheet.ir import Binary, Const, Dot, Expr
from cnn2sheet.ir.program import ZERO


def dot(xs: np.ndarray, ws: np.ndarray) -> Expr | None:
    """Σ xs·ws over the cells that are not implicit zeros; None when nothing is left."""
    xs, ws = np.asarray(xs).ravel(), np.asarray(ws).ravel()
    keep = (xs != ZERO) & (ws != ZERO)
    if not keep.any():
        return None
    return Dot(xs[keep], ws[keep])


def total(terms: Iterable[Expr | None]) -> Expr:
    """``t1 + t2 + ...`` of the terms that are not None (0 when none is)."""
    present = [t for t in terms if t is not None]
    if not present:
        return Const(0.0)
    expr = present[0]
    for term in present[1:]:
        expr = Binary("+", expr, term)
    return expr


def weight_array(variable) -> np.ndarray:
    """A Keras variable or tensor (a LoRA-merged kernel is a tensor) as a float64 array."""
    import keras

    return np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float64)
