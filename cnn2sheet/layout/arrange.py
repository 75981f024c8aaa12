"""Arrangements: where each cell of a block sits relative to the block's top-left corner.

Two ways to show a tensor, chosen per layout:

- *interleaved* (compact): the first axis down the rows, the other axes flattened along the
  columns, so an image's window over all channels is one rectangle::

      (2, 2, 3) image →  r0c0 g0c0 b0c0 r0c1 g0c1 b0c1
                         r1c0 g1c0 b1c0 r1c1 g1c1 b1c1

- *planes* (readable): one H×W grid per channel, side by side with a gap column, so a feature
  map looks like the image it is; a window is then one rectangle per channel.

Weights are arranged unit by unit (one filter, one neuron's row), each unit shaped like the input
window it multiplies and arranged the same way, units stacked downwards. Every cell also gets a
*region* (its grid): the renderer sorts a weighted sum's terms by region, row and column so
congruent rectangles line up whichever arrangement was used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GAP = 1  # empty rows or columns between neighbouring grids


@dataclass(frozen=True, eq=False)
class Arrangement:
    """Offsets of every cell (C order) from the corner, its region, and the bounding box."""

    rows: np.ndarray
    cols: np.ndarray
    regions: np.ndarray
    height: int
    width: int

    @property
    def size(self) -> int:
        return self.rows.size

    @property
    def filled(self) -> bool:
        """True when the cells fill the bounding box row by row in C order (ports need it)."""
        return self.size == self.height * self.width and bool(
            np.array_equal(self.rows * self.width + self.cols, np.arange(self.size))
        )


def row_major(size: int, width: int) -> Arrangement:
    """Cell ``k`` at ``divmod(k, width)``."""
    width = max(1, min(width, size)) if size else 1
    k = np.arange(size)
    return Arrangement(
        k // width,
        k % width,
        np.zeros(size, dtype=np.int64),
        math.ceil(size / width) if size else 0,
        width,
    )


def interleaved(shape: tuple[int, ...], max_cols: int) -> Arrangement:
    """First axis down, the rest along the columns; narrower folds if the sheet is too narrow."""
    size = math.prod(shape)
    if len(shape) <= 1:
        width = shape[0] if shape else 1
    else:
        widths = [math.prod(shape[k:]) for k in range(1, len(shape))]
        width = next((w for w in widths if w <= max_cols), 0)
    if not 0 < width <= max_cols:
        # A long vector: the widest row that still fills a rectangle exactly.
        width = max(d for d in range(1, min(size, max_cols) + 1) if size % d == 0)
    return row_major(size, width)


def planes(shape: tuple[int, int, int], max_cols: int) -> Arrangement:
    """An (H, W, C) tensor as C grids of H×W side by side; interleaved if that is too wide."""
    h, w, c = shape
    width = c * (w + GAP) - GAP
    if c == 1 or width > max_cols:
        return interleaved(shape, max_cols)
    hh, ww, cc = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    return Arrangement(hh.ravel(), (cc * (w + GAP) + ww).ravel(), cc.ravel(), h, width)


def tensor(shape: tuple[int, ...], readable: bool, max_cols: int) -> Arrangement:
    """How an activation tensor is shown."""
    if readable and len(shape) == 3:
        return planes(shape, max_cols)
    return interleaved(shape, max_cols)


def stacked(unit: Arrangement, count: int) -> Arrangement:
    """``count`` copies of ``unit`` one below the other (a gap between grids taller than a row)."""
    step = unit.height + (GAP if unit.height > 1 else 0)
    index = np.arange(count)[:, None]
    regions = index * (int(unit.regions.max(initial=0)) + 1) + unit.regions[None, :]
    return Arrangement(
        (index * step + unit.rows[None, :]).ravel(),
        np.broadcast_to(unit.cols, (count, unit.size)).ravel(),
        regions.ravel(),
        count * step - (step - unit.height),
        unit.width,
    )
