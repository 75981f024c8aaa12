"""Sliding windows over a tensor of cell ids: the geometry shared by convolution and pooling."""

from __future__ import annotations

import math

import numpy as np

from cnn2sheet.ir.program import ZERO


def output_size(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """Length of the output along one axis, as Keras computes it."""
    span = dilation * (kernel - 1) + 1
    if padding == "valid":
        return max((size - span) // stride + 1, 0)
    if padding == "same":
        return math.ceil(size / stride)
    raise ValueError(f"padding {padding!r} is not 'valid' or 'same'")


def pad_before(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """Padding on the leading side; 'same' puts the odd one out on the trailing side."""
    if padding == "valid":
        return 0
    span = dilation * (kernel - 1) + 1
    out = output_size(size, kernel, stride, dilation, padding)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2


def windows(ids: np.ndarray, kernel, strides, dilation, padding: str) -> np.ndarray:
    """Every window of the channels-last tensor ``ids`` (spatial axes, then channels).

    Returns ids shaped ``(*out_spatial, *kernel, channels)``; a position in the padding holds
    :data:`~cnn2sheet.ir.program.ZERO`.
    """
    spatial = ids.shape[:-1]
    rank = len(spatial)
    outs = [
        output_size(s, k, st, d, padding)
        for s, k, st, d in zip(spatial, kernel, strides, dilation, strict=True)
    ]
    befores = [
        pad_before(s, k, st, d, padding)
        for s, k, st, d in zip(spatial, kernel, strides, dilation, strict=True)
    ]

    # Pad generously with ZERO so every window index lands inside the padded array.
    afters = [
        max((o - 1) * st + d * (k - 1) + 1 - s - b, 0)
        for o, st, d, k, s, b in zip(outs, strides, dilation, kernel, spatial, befores, strict=True)
    ]
    padded = np.pad(ids, [*zip(befores, afters, strict=True), (0, 0)], constant_values=ZERO)

    # One index array per spatial axis, broadcast to (*outs, *kernel).
    index = []
    for axis in range(rank):
        pos = (np.arange(outs[axis]) * strides[axis])[:, None] + (
            np.arange(kernel[axis]) * dilation[axis]
        )[None, :]
        shape = [1] * (2 * rank)
        shape[axis], shape[rank + axis] = outs[axis], kernel[axis]
        index.append(pos.reshape(shape))
    return padded[tuple(index)]
