"""Layers that only rearrange values: each is a NumPy operation on the tensor's ids, no cells.

Padding inserts :data:`~cnn2sheet.ir.program.ZERO` ids, which read as 0 wherever they are used;
a model output made of rearranged ids gets a block of plain references when lowering ends.
"""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering.channels import channels_last
from cnn2sheet.lowering.registry import register


@register("Identity", options="no cells", view=True)
def lower_identity(op, inputs, builder):
    return [inputs[0]]


@register("Reshape", options="any target_shape, -1 included; no cells", view=True)
def lower_reshape(op, inputs, builder):
    return [inputs[0].reshape(op.outputs[0].shape)]


@register("Permute", options="any dims; no cells", view=True)
def lower_permute(op, inputs, builder):
    # Keras counts the batch axis as 0, so dims are 1-based over the ids' axes.
    return [np.transpose(inputs[0], [d - 1 for d in op.layer.dims])]


@register("RepeatVector", options="any n; no cells", view=True)
def lower_repeat_vector(op, inputs, builder):
    return [np.repeat(inputs[0][None, :], op.layer.n, axis=0)]


def _per_axis(spec, rank: int) -> list[tuple[int, int]]:
    """Keras's padding or cropping ``spec`` as one (before, after) pair per spatial axis."""
    if rank == 1 and len(spec) == 2 and all(isinstance(v, int) for v in spec):
        spec = (spec,)
    return [(int(a), int(b)) for a, b in spec]


@register(
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    options="symmetric or asymmetric padding; channels_last or channels_first; no cells (the "
    "padding reads as the constant 0)",
    view=True,
)
@channels_last
def lower_zero_padding(op, inputs, builder):
    x = inputs[0]
    pads = _per_axis(op.layer.padding, x.ndim - 1)
    return [np.pad(x, [*pads, (0, 0)], constant_values=ZERO)]


@register(
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    options="symmetric or asymmetric cropping; channels_last or channels_first; no cells",
    view=True,
)
@channels_last
def lower_cropping(op, inputs, builder):
    x = inputs[0]
    crops = _per_axis(op.layer.cropping, x.ndim - 1)
    index = tuple(slice(a, size - b) for (a, b), size in zip(crops, x.shape[:-1], strict=True))
    return [x[index]]
