"""Activation functions as cell formulas; softmax gets helper cells to stay stable."""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Binary, Cells, Const, Expr, Func, Neg, Ref
from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering.builder import Builder


def _relu(x: Expr) -> Expr:
    return Func("MAX", (Const(0.0), x))


def _sigmoid(x: Expr) -> Expr:
    return Binary("/", Const(1.0), Binary("+", Const(1.0), Func("EXP", (Neg(x),))))


def _tanh(x: Expr) -> Expr:
    return Func("TANH", (x,))


ELEMENTWISE = {"relu": _relu, "sigmoid": _sigmoid, "tanh": _tanh}
"""Activations that act on each cell alone: name → expression of the input cell."""

SUPPORTED = ("linear", *ELEMENTWISE, "softmax")


def activation_name(activation) -> str:
    """The Keras name of an activation given as a function or a string."""
    if isinstance(activation, str):
        return activation
    import keras

    name = keras.activations.serialize(activation)
    if isinstance(name, dict):
        name = name.get("config", name.get("class_name", repr(name)))
    return str(name)


def check_activation(op, attr: str = "activation") -> list[str]:
    """Problems with ``op.layer.<attr>``: empty when the activation is supported."""
    name = activation_name(getattr(op.layer, attr))
    if name in SUPPORTED:
        return []
    return [f"activation '{name}' is not supported (supported: {', '.join(SUPPORTED)})"]


def cell(cell_id: int) -> Expr:
    """The expression reading one cell of a tensor view (padding reads as 0)."""
    return Const(0.0) if cell_id == ZERO else Ref(int(cell_id))


def apply(
    builder: Builder, ids: np.ndarray, name: str, *, axis: int = -1, role: str = "output"
) -> np.ndarray:
    """Cells computing activation ``name`` of the tensor ``ids``; returns the result's ids."""
    if name == "linear":
        return ids
    if name in ELEMENTWISE:
        fn = ELEMENTWISE[name]
        return builder.compute(
            ids.shape,
            (fn(cell(i)) for i in ids.ravel()),
            role=role,
            title=f"{builder.title}: {name}",
        )
    if name == "softmax":
        return softmax(builder, ids, axis=axis, role=role)
    raise ValueError(f"{builder.op.describe()}: activation '{name}' is not supported")


def softmax(
    builder: Builder, ids: np.ndarray, *, axis: int = -1, role: str = "output"
) -> np.ndarray:
    """exp(x − max) / Σ exp(x − max) along ``axis``, through max, exp and sum helper cells.

    Subtracting each group's maximum keeps EXP from overflowing; the sum is a plain SUM over
    the exp cells because an array expression such as ``SUM(EXP(range))`` is not portable.
    """
    moved = np.moveaxis(ids, axis, -1)
    groups = moved.reshape(-1, moved.shape[-1])
    outer = moved.shape[:-1]

    maxes = builder.compute(outer, (_max_of(g) for g in groups), role="softmax max")
    exps = builder.compute(
        moved.shape,
        (
            Func("EXP", (Binary("-", cell(x), Ref(int(m))),))
            for g, m in zip(groups, maxes.ravel(), strict=True)
            for x in g
        ),
        role="softmax exp",
    )
    exp_groups = exps.reshape(-1, moved.shape[-1])
    sums = builder.compute(
        outer, (Func("SUM", (Cells(g),)) for g in exp_groups), role="softmax sum"
    )
    out = builder.compute(
        moved.shape,
        (
            Binary("/", Ref(int(e)), Ref(int(s)))
            for g, s in zip(exp_groups, sums.ravel(), strict=True)
            for e in g
        ),
        role=role,
        title=f"{builder.title}: softmax",
    )
    return np.moveaxis(out, -1, axis)


def _max_of(group: np.ndarray) -> Expr:
    real = group[group != ZERO]
    args: tuple[Expr, ...] = (Cells(real),)
    if real.size < group.size:
        args += (Const(0.0),)
    return Func("MAX", args)
