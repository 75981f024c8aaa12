"""Max and average pooling over windows; padding never counts (Keras leaves it out)."""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Binary, Cells, Const, Expr, Func, Ref
from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering.registry import register
from cnn2sheet.lowering.windows import windows


def check_pool(op) -> list[str]:
    layer = op.layer
    problems = []
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        problems.append(f"data_format '{layer.data_format}' is not supported (channels_last only)")
    if layer.padding not in ("valid", "same"):
        problems.append(f"padding '{layer.padding}' is not supported (valid, same)")
    return problems


def _max(ids: np.ndarray) -> Expr:
    return Ref(int(ids[0])) if ids.size == 1 else Func("MAX", (Cells(ids),))


def _average(ids: np.ndarray) -> Expr:
    if ids.size == 1:
        return Ref(int(ids[0]))
    return Binary("/", Func("SUM", (Cells(ids),)), Const(float(ids.size)))


def _pool(op, inputs, builder, reduce):
    layer = op.layer
    x = inputs[0]
    rank = x.ndim - 1
    wins = windows(x, layer.pool_size, layer.strides, (1,) * rank, layer.padding)
    out_spatial = wins.shape[:rank]

    # Move channels before the window so each output cell's window is one row.
    per_cell = np.moveaxis(wins, -1, rank).reshape(-1, int(np.prod(layer.pool_size)))
    exprs = [reduce(w[w != ZERO]) for w in per_cell]
    return [builder.compute((*out_spatial, x.shape[-1]), exprs)]


@register(
    "MaxPooling2D",
    check=check_pool,
    options="pool_size, strides, padding valid/same; channels_last",
)
def lower_max_pool(op, inputs, builder):
    return _pool(op, inputs, builder, _max)


@register(
    "AveragePooling2D",
    check=check_pool,
    options="pool_size, strides, padding valid/same (padding not counted); channels_last",
)
def lower_average_pool(op, inputs, builder):
    return _pool(op, inputs, builder, _average)
