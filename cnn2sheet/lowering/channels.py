"""``data_format="channels_first"`` as transposed views: spatial layers lower channels-last only.

A channels-first tensor ``(C, H, W)`` is handed to a lowering as the id view ``(H, W, C)`` and
its result moved back; no cell is copied, only the order in which ids are read changes. The
layer's output block itself is laid out channels-first, as Keras shapes that output, so the
workbook shows (and verify compares) the tensor Keras has.
"""

from __future__ import annotations

import functools

import numpy as np


def channels_first(op) -> bool:
    """Whether ``op``'s layer reads its inputs channels-first."""
    return getattr(op.layer, "data_format", "channels_last") == "channels_first"


def to_last(op, ids: np.ndarray) -> np.ndarray:
    """The channels-last view of one of ``op``'s tensors (itself when already channels-last)."""
    return np.moveaxis(ids, 0, -1) if channels_first(op) and ids.ndim > 1 else ids


def from_last(op, ids: np.ndarray) -> np.ndarray:
    """A channels-last result moved back to ``op``'s data format."""
    return np.moveaxis(ids, -1, 0) if channels_first(op) and ids.ndim > 1 else ids


def last_shape(op, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` of one of ``op``'s tensors, as its channels-last view has it."""
    if channels_first(op) and len(shape) > 1:
        return (*shape[1:], shape[0])
    return tuple(shape)


class _ChannelsFirstOutput:
    """A Builder whose ``output`` blocks are stored channels-first but handed back channels-last.

    Everything else (weights, helper blocks) passes through unchanged.
    """

    def __init__(self, builder):
        self._builder = builder

    def __getattr__(self, name):
        return getattr(self._builder, name)

    def compute(self, shape, exprs, role="output", title=None):
        """Like Builder.compute; an output block's cells are reordered channels-first."""
        if role != "output" or len(shape) < 2:
            return self._builder.compute(shape, exprs, role, title)
        grid = np.empty(int(np.prod(shape)), dtype=object)
        for k, expr in enumerate(exprs):
            grid[k] = expr
        first = np.moveaxis(grid.reshape(shape), -1, 0)
        ids = self._builder.compute(first.shape, list(first.ravel()), role, title)
        return np.moveaxis(ids, 0, -1)


def channels_last(lower):
    """Decorator: run ``lower`` on channels-last views of the inputs, move its outputs back."""

    @functools.wraps(lower)
    def wrapped(op, inputs, builder):
        if not channels_first(op):
            return lower(op, inputs, builder)
        outputs = lower(op, [to_last(op, x) for x in inputs], _ChannelsFirstOutput(builder))
        return [from_last(op, y) for y in outputs]

    return wrapped
