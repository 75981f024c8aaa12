"""Merging layers: elementwise cells over two or more inputs, Concatenate (ids only) and Dot."""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Binary, Const, Dot, Expr, Func, Ref
from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering.activations import cell
from cnn2sheet.lowering.registry import register


def _sum(ids) -> Expr:
    terms = [Ref(int(i)) for i in ids if i != ZERO]
    if not terms:
        return Const(0.0)
    total = terms[0]
    for term in terms[1:]:
        total = Binary("+", total, term)
    return total


def _chain(op: str):
    def combine(ids) -> Expr:
        total = cell(ids[0])
        for i in ids[1:]:
            total = Binary(op, total, cell(i))
        return total

    return combine


def _average(ids) -> Expr:
    return Binary("/", _sum(ids), Const(float(len(ids))))


def _aggregate(name: str):
    def combine(ids) -> Expr:
        return Func(name, tuple(cell(i) for i in ids))

    return combine


_ELEMENTWISE = {
    "Add": ("a + b + …", _sum),
    "Subtract": ("a − b (two inputs)", _chain("-")),
    "Multiply": ("a · b · …", _chain("*")),
    "Average": ("(a + b + …) / n", _average),
    "Maximum": ("MAX(a, b, …)", _aggregate("MAX")),
    "Minimum": ("MIN(a, b, …)", _aggregate("MIN")),
}


def _lower_elementwise(op, inputs, builder):
    # Keras broadcasts the inputs as NumPy does (a lower rank gains leading axes of 1).
    combine = _ELEMENTWISE[op.cls][1]
    stacked = np.stack(np.broadcast_arrays(*inputs), axis=-1)
    exprs = [combine(ids) for ids in stacked.reshape(-1, len(inputs))]
    return [builder.compute(stacked.shape[:-1], exprs)]


for _name, (_formula, _) in _ELEMENTWISE.items():
    register(
        _name,
        options=f"one cell per element: {_formula}; two or more inputs, broadcast as Keras does",
    )(_lower_elementwise)


@register("Concatenate", options="any axis; no cells", view=True)
def lower_concatenate(op, inputs, builder):
    axis = op.layer.axis
    # Keras counts the batch axis; the ids have none.
    return [np.concatenate(inputs, axis=axis - 1 if axis > 0 else axis)]


def dot_axes(op) -> tuple[int, int]:
    """The summed axis of each input, counted over the ids' axes (no batch axis)."""
    axes = op.layer.axes
    ranks = [len(t.shape) + 1 for t in op.inputs]
    if isinstance(axes, int):
        axes = (axes, axes)
    return tuple(a % rank - 1 for a, rank in zip(axes, ranks, strict=True))


@register(
    "Dot",
    options="axes (an int or a pair), normalize (cosine similarity, through one norm cell per "
    "vector); inputs of any rank",
)
def lower_dot(op, inputs, builder):
    x, y = inputs
    ax, ay = dot_axes(op)
    xs = np.moveaxis(x, ax, -1)
    ys = np.moveaxis(y, ay, -1)
    shape = xs.shape[:-1] + ys.shape[:-1] or (1,)
    rows_x = xs.reshape(-1, xs.shape[-1])
    rows_y = ys.reshape(-1, ys.shape[-1])

    exprs: list[Expr] = []
    for row_x in rows_x:
        for row_y in rows_y:
            keep = (row_x != ZERO) & (row_y != ZERO)
            exprs.append(Dot(row_x[keep], row_y[keep]))

    if op.layer.normalize:
        norms_x = _norms(builder, rows_x, "norm x")
        norms_y = _norms(builder, rows_y, "norm y")
        exprs = [
            Binary("/", expr, Binary("*", Ref(int(nx)), Ref(int(ny))))
            for expr, (nx, ny) in zip(
                exprs, ((nx, ny) for nx in norms_x for ny in norms_y), strict=True
            )
        ]
    return [builder.compute(shape, exprs)]


def _norms(builder, rows: np.ndarray, role: str) -> np.ndarray:
    """One cell per row: its L2 norm, floored at Keras's epsilon as keras.ops.normalize does."""
    import keras

    epsilon = float(keras.config.epsilon())
    exprs = [
        Func("MAX", (Func("SQRT", (Dot(r[r != ZERO], r[r != ZERO]),)), Const(epsilon)))
        for r in rows
    ]
    return builder.compute((len(rows),), exprs, role=role)
