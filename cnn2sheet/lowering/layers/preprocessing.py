"""Numeric preprocessing layers: Rescaling (x·scale + offset) and Normalization (stored mean and
variance, or its inverse)."""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Ref
from cnn2sheet.lowering.elementwise import add, call, cell, div, mul, num, sub
from cnn2sheet.lowering.registry import register
from cnn2sheet.lowering.statistics import spread


def _per_cell(value, shape: tuple[int, ...]) -> np.ndarray:
    """A Keras option broadcast as Keras broadcasts it against the batched tensor."""
    values = np.asarray(_numpy(value), dtype=np.float64)
    return np.broadcast_to(values, (1, *shape))[0]


def _numpy(value):
    import keras

    return keras.ops.convert_to_numpy(value) if not isinstance(value, int | float) else value


@register(
    "Rescaling",
    options="scale and offset: numbers or arrays broadcast like Keras (channels_last)",
)
def lower_rescaling(op, inputs, builder):
    x = inputs[0]
    scales = _per_cell(op.layer.scale, x.shape).ravel()
    offsets = _per_cell(op.layer.offset, x.shape).ravel()

    exprs = []
    for i, scale, offset in zip(x.ravel(), scales, offsets, strict=True):
        expr = mul(cell(i), num(scale))
        exprs.append(expr if offset == 0 else add(expr, num(offset)))
    return [builder.compute(x.shape, exprs)]


@register(
    "Normalization",
    options="axis, adapted or given mean and variance (editable weight cells), invert",
)
def lower_normalization(op, inputs, builder):
    import keras

    layer = op.layer
    x = inputs[0]
    keep = tuple(a - 1 for a in layer._keep_axis)
    mean, variance = (_kept(getattr(layer, n), x.shape, keep) for n in ("mean", "variance"))
    mean_ids = spread(builder.param("mean", mean), x.shape, keep)
    variance_ids = spread(builder.param("variance", variance), x.shape, keep)

    # Keras divides by max(√variance, ε) so a constant feature does not divide by zero.
    epsilon = num(keras.backend.epsilon())
    exprs = []
    for k, i in enumerate(x.ravel()):
        m, v = Ref(int(mean_ids.flat[k])), Ref(int(variance_ids.flat[k]))
        std = call("MAX", call("SQRT", v), epsilon)
        exprs.append(add(m, mul(cell(i), std)) if layer.invert else div(sub(cell(i), m), std))
    return [builder.compute(x.shape, exprs)]


def _kept(value, shape: tuple[int, ...], keep: tuple[int, ...]) -> np.ndarray:
    """The statistic along the kept axes only (Keras stores it broadcast over the others)."""
    full = _per_cell(value, shape)
    return full[tuple(slice(None) if a in keep else 0 for a in range(len(shape)))]
