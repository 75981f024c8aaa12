"""What the attention layers share: masks as static patterns, weights through softmax cells.

A causal (or sliding-window) mask is known when compiling, so masked positions are simply left
out: their exponential is the constant 0 (``exp(-inf)``), their weight comes out 0 — no
``-1e9`` or ``-inf`` in a formula, which not every spreadsheet takes alike.
"""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Binary, Cells, Const, Func, Ref
from cnn2sheet.lowering import activations
from cnn2sheet.lowering.builder import Builder


def causal_pattern(queries: int, keys: int) -> np.ndarray:
    """Which key each query may see under a causal mask: key index ≤ query index (Keras)."""
    return np.arange(queries)[:, None] >= np.arange(keys)[None, :]


def window_pattern(queries: int, keys: int, window: int) -> np.ndarray:
    """Keras's sliding window: keys fewer than ``window`` positions away on either side."""
    return np.abs(np.arange(queries)[:, None] - np.arange(keys)[None, :]) < window


def attention_weights(
    builder: Builder, scores: np.ndarray, allowed: np.ndarray | None, title: str
) -> np.ndarray:
    """Softmax of ``scores`` (…, Tq, Tk) over the keys, as a block of its own titled ``title``.

    The block is a matrix (every leading axis down the rows, keys across); the ids come back
    shaped like ``scores``. ``allowed`` (Tq, Tk) is the mask pattern or None; every query must
    be allowed one key at least.
    """
    rows = scores.reshape(-1, scores.shape[-1])
    if allowed is None or allowed.all():
        weights = activations.softmax(builder, rows, axis=-1, role="attention weights")
    else:
        keep = np.broadcast_to(allowed, scores.shape).reshape(rows.shape)
        weights = _masked_softmax(builder, rows, keep)
    builder.block(weights).title = title
    return weights.reshape(scores.shape)


def _masked_softmax(builder: Builder, rows: np.ndarray, keep: np.ndarray) -> np.ndarray:
    maxes = builder.compute(
        (rows.shape[0],),
        (Func("MAX", (Cells(r[k]),)) for r, k in zip(rows, keep, strict=True)),
        role="softmax max",
    )
    exps = builder.compute(
        rows.shape,
        (
            Func("EXP", (Binary("-", Ref(int(s)), Ref(int(m))),)) if ok else Const(0.0)
            for r, k, m in zip(rows, keep, maxes, strict=True)
            for s, ok in zip(r, k, strict=True)
        ),
        role="softmax exp",
        title=f"{builder.title}: softmax exp (0 where masked)",
    )
    sums = builder.compute(
        (rows.shape[0],), (Func("SUM", (Cells(r),)) for r in exps), role="softmax sum"
    )
    return builder.compute(
        rows.shape,
        (Binary("/", Ref(int(e)), Ref(int(s))) for r, s in zip(exps, sums, strict=True) for e in r),
        role="attention weights",
    )


def transposed(builder: Builder, ids: np.ndarray, title: str) -> np.ndarray:
    """A copy of the (T, d) tensor ``ids`` as a (d, T) block of references.

    The weighted sum over the keys then pairs a row of weights with a row of values, one
    SUMPRODUCT of two congruent ranges, where a column would not match a row.
    """
    flipped = ids.T
    return builder.compute(
        flipped.shape,
        (activations.cell(i) for i in flipped.ravel()),
        role="value transposed",
        title=title,
    )
