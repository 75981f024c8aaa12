"""Axes as Keras counts them (batch axis first) and groups of cells reduced together.

Keras layers name axes of the batched tensor: ``axis=1`` is the first axis of one sample and
``axis=-1`` the last. The compiler's tensors have no batch axis, so every axis is shifted by one;
axis 0 would mix samples and has no meaning in a workbook that holds one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def keras_axes(axis, rank: int) -> tuple[int, ...]:
    """Axes of a sample tensor of ``rank`` for Keras's ``axis`` (an int, a list, or None = all).

    Raises ValueError naming the axis when it is the batch axis or out of range.
    """
    if axis is None:
        return tuple(range(rank))
    listed = list(axis) if isinstance(axis, list | tuple) else [axis]
    found = []
    for a in listed:
        batched = int(a) + rank + 1 if int(a) < 0 else int(a)
        if batched == 0:
            raise ValueError(f"axis {a} is the batch axis")
        if not 0 < batched <= rank:
            raise ValueError(f"axis {a} is out of range for a tensor of rank {rank + 1}")
        found.append(batched - 1)
    if len(set(found)) != len(found):
        raise ValueError(f"axis {tuple(listed)} names one axis twice")
    return tuple(sorted(found))


def axis_problem(axis, rank: int, option: str = "axis") -> list[str]:
    """[] when Keras's ``axis`` is usable on a sample of ``rank``, else one problem line."""
    try:
        keras_axes(axis, rank)
    except ValueError as exc:
        return [f"{option}={axis!r} is not supported: {exc}"]
    return []


@dataclass(frozen=True)
class Groups:
    """Cells reduced together: ``cells[g]`` is group g, in the order its reduction reads them.

    ``group[k]`` and ``slot[k]`` say where the tensor's k-th cell (C order) went, so an output
    block can keep the tensor's own order while its helpers run group by group.
    """

    cells: np.ndarray  # (groups, size) ids
    group: np.ndarray  # (tensor size,) group index of each cell
    slot: np.ndarray  # (tensor size,) position inside its group

    @property
    def size(self) -> int:
        return int(self.cells.shape[1])


def group_along(ids: np.ndarray, axes: tuple[int, ...]) -> Groups:
    """Group the cells of ``ids`` that share every index outside ``axes``."""
    rest = [a for a in range(ids.ndim) if a not in axes]
    order = list(rest) + list(axes)
    return group_by(ids, lambda a: np.transpose(a, order).reshape(-1, _size(ids, axes)))


def group_by(ids: np.ndarray, arrange: Callable[[np.ndarray], np.ndarray]) -> Groups:
    """Groups made by ``arrange``, a reshuffle of a tensor-shaped array into ``(groups, size)``."""
    natural = np.arange(ids.size).reshape(ids.shape)
    where = arrange(natural)
    group = np.empty(ids.size, dtype=np.int64)
    slot = np.empty(ids.size, dtype=np.int64)
    group[where.ravel()] = np.repeat(np.arange(where.shape[0]), where.shape[1])
    slot[where.ravel()] = np.tile(np.arange(where.shape[1]), where.shape[0])
    return Groups(ids.ravel()[where], group, slot)


def _size(ids: np.ndarray, axes: tuple[int, ...]) -> int:
    return int(np.prod([ids.shape[a] for a in axes], dtype=np.int64))
