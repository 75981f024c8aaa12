"""Max and average pooling over windows; padding never counts (Keras leaves it out).

Two kinds of zero meet here: the padding of ``padding="same"``, which is no value at all and
drops out of the window, and a ZERO id already in the input (from a ZeroPadding layer, say),
which is the value 0 and takes part in the max and the average like any other cell.
"""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Binary, Cells, Const, Expr, Func, Ref
from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering.channels import channels_last
from cnn2sheet.lowering.layers.conv import check_padding
from cnn2sheet.lowering.registry import register
from cnn2sheet.lowering.windows import windows


def max_of(ids: np.ndarray) -> Expr:
    """The largest value of the cells ``ids``, a ZERO id counting as the value 0."""
    real = ids[ids != ZERO]
    if real.size == ids.size == 1:
        return Ref(int(real[0]))
    args: tuple[Expr, ...] = (Cells(real),) if real.size else ()
    if real.size < ids.size:
        args += (Const(0.0),)
    return Func("MAX", args)


def average_of(ids: np.ndarray) -> Expr:
    """The mean of the cells ``ids``, a ZERO id counting as the value 0."""
    real = ids[ids != ZERO]
    if not real.size:
        return Const(0.0)
    if ids.size == 1:
        return Ref(int(real[0]))
    total = Ref(int(real[0])) if real.size == 1 else Func("SUM", (Cells(real),))
    return Binary("/", total, Const(float(ids.size)))


def _pool(op, inputs, builder, reduce):
    layer = op.layer
    x = inputs[0]
    rank = x.ndim - 1

    # Window over positions, not ids: -1 marks window padding, while a ZERO id of the input
    # is a real 0 that must stay in the window.
    positions = np.arange(x.size, dtype=np.int64).reshape(x.shape)
    wins = windows(positions, layer.pool_size, layer.strides, (1,) * rank, layer.padding)
    out_spatial = wins.shape[:rank]

    # Move channels before the window so each output cell's window is one row.
    per_cell = np.moveaxis(wins, -1, rank).reshape(-1, int(np.prod(layer.pool_size)))
    flat = x.ravel()
    exprs = [reduce(flat[w[w != ZERO]]) for w in per_cell]
    return [builder.compute((*out_spatial, x.shape[-1]), exprs)]


@register(
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    check=check_padding,
    options="pool_size, strides, padding valid/same; channels_last or channels_first",
)
@channels_last
def lower_max_pool(op, inputs, builder):
    return _pool(op, inputs, builder, max_of)


@register(
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    check=check_padding,
    options="pool_size, strides, padding valid/same (padding not counted); channels_last or "
    "channels_first",
)
@channels_last
def lower_average_pool(op, inputs, builder):
    return _pool(op, inputs, builder, average_of)
