"""UpSampling1D/2D/3D: nearest repeats ids (no cells); bilinear blends up to four neighbours.

Keras's TensorFlow backend resizes bilinearly with half-pixel centres (``tf.image.resize``):
output index ``i`` of an axis grown by the factor ``f`` samples the input at
``(i + 0.5) / f − 0.5``, blends the two neighbours around that point linearly and clamps them
to the edge. Along an axis of 3 grown by 2 the taps are::

    out 0: x0            out 1: .75·x0 + .25·x1    out 2: .25·x0 + .75·x1
    out 3: .75·x1 + .25·x2    out 4: .25·x1 + .75·x2    out 5: x2

In two dimensions each output cell is the product of an H tap and a W tap: at most four cells,
with the weights as constants in the formula.
"""

from __future__ import annotations

import math

import numpy as np

from cnn2sheet.ir import Binary, Const, Expr, Ref
from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering.channels import channels_last
from cnn2sheet.lowering.registry import register

INTERPOLATIONS = ("nearest", "bilinear")


def bilinear_taps(size: int, factor: int) -> list[dict[int, float]]:
    """For each output index along one axis, {input index: weight} of the bilinear blend."""
    taps = []
    for i in range(size * factor):
        source = (i + 0.5) / factor - 0.5
        low = math.floor(source)
        frac = source - low
        weights: dict[int, float] = {}
        for index, weight in ((low, 1.0 - frac), (low + 1, frac)):
            if weight:
                clamped = min(max(index, 0), size - 1)
                weights[clamped] = weights.get(clamped, 0.0) + weight
        taps.append(weights)
    return taps


def check_upsampling(op) -> list[str]:
    """A problem when the interpolation is neither 'nearest' nor 'bilinear'."""
    interpolation = getattr(op.layer, "interpolation", "nearest")
    if interpolation in INTERPOLATIONS:
        return []
    return [f"interpolation '{interpolation}' is not supported ({', '.join(INTERPOLATIONS)})"]


def _repeat(x: np.ndarray, sizes) -> np.ndarray:
    for axis, size in enumerate(sizes):
        x = np.repeat(x, size, axis=axis)
    return x


@register("UpSampling1D", options="any size (nearest: repeats references, no cells)", view=True)
def lower_upsampling_1d(op, inputs, builder):
    return [_repeat(inputs[0], (op.layer.size,))]


@register(
    "UpSampling3D",
    options="any size (nearest: repeats references, no cells); channels_last or channels_first",
    view=True,
)
@channels_last
def lower_upsampling_3d(op, inputs, builder):
    return [_repeat(inputs[0], op.layer.size)]


@register(
    "UpSampling2D",
    check=check_upsampling,
    options="any size; interpolation nearest (repeats references, no cells) or bilinear (one "
    "cell blending up to 4 neighbours, as tf.image.resize does); channels_last or "
    "channels_first",
    # Bilinear does make cells; counting none keeps the pre-flight budget a lower bound.
    view=True,
)
@channels_last
def lower_upsampling_2d(op, inputs, builder):
    layer = op.layer
    x = inputs[0]
    if layer.interpolation == "nearest":
        return [_repeat(x, layer.size)]

    rows = bilinear_taps(x.shape[0], layer.size[0])
    cols = bilinear_taps(x.shape[1], layer.size[1])
    exprs = [
        _blend({(r, c): wr * wc for r, wr in row.items() for c, wc in col.items()}, x[..., ch])
        for row in rows
        for col in cols
        for ch in range(x.shape[-1])
    ]
    return [builder.compute((len(rows), len(cols), x.shape[-1]), exprs)]


def _blend(weights: dict[tuple[int, int], float], plane: np.ndarray) -> Expr:
    """Σ weight · cell over the taps of one output cell (ZERO cells drop out)."""
    terms: list[Expr] = []
    for (r, c), weight in weights.items():
        cell = int(plane[r, c])
        if cell == ZERO:
            continue
        terms.append(Ref(cell) if weight == 1.0 else Binary("*", Const(weight), Ref(cell)))
    if not terms:
        return Const(0.0)
    total = terms[0]
    for term in terms[1:]:
        total = Binary("+", total, term)
    return total
