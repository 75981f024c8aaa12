"""Global max and average pooling: one cell per channel over every spatial position."""

from __future__ import annotations

import numpy as np

from cnn2sheet.lowering.channels import channels_last
from cnn2sheet.lowering.layers.pooling import average_of, max_of
from cnn2sheet.lowering.registry import register


def check_global_pool(op) -> list[str]:
    """A problem when a mask reaches the layer (Keras would then average the unmasked steps)."""
    if op.kwargs.get("mask") is not None:
        return [
            "a mask from an earlier layer (such as Embedding(mask_zero=True) or Masking) is not "
            "supported: Keras would average only the unmasked steps"
        ]
    return []


def _global(op, inputs, builder, reduce):
    x = inputs[0]
    channels = x.shape[-1]

    per_channel = np.moveaxis(x, -1, 0).reshape(channels, -1)
    shape = (1,) * (x.ndim - 1) + (channels,) if op.layer.keepdims else (channels,)
    return [builder.compute(shape, [reduce(row) for row in per_channel])]


_OPTIONS = "keepdims, channels_last or channels_first; inputs of any spatial rank"


@register(
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    check=check_global_pool,
    options=_OPTIONS,
)
@channels_last
def lower_global_max(op, inputs, builder):
    return _global(op, inputs, builder, max_of)


@register(
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    check=check_global_pool,
    options=_OPTIONS + "; no mask",
)
@channels_last
def lower_global_average(op, inputs, builder):
    return _global(op, inputs, builder, average_of)
