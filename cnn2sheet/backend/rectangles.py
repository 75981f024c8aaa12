"""Range coalescing: split an ordered list of cells into as few rectangles as it allows.

SUMPRODUCT pairs two ranges cell by cell in row-major order, so a weighted sum over the cells
``xs`` and weights ``ws`` becomes one SUMPRODUCT per stretch where both lists run through
congruent rectangles in step. With the readable layout a whole convolution window is one stretch::

    xs: B3 C3 D3 B4 C4 D4      ws: K3 L3 M3 K4 L4 M4   →   SUMPRODUCT(B3:D4,K3:M4)
"""

from __future__ import annotations

import numpy as np

Coords = tuple[np.ndarray, np.ndarray, np.ndarray]  # (sheet, row, col), one entry per cell


_MEMO: dict[bytes, list[tuple[int, int, int]]] = {}
_MEMO_LIMIT = 4096


def coalesce(*lists: Coords) -> list[tuple[int, int, int]]:
    """Stretches ``(start, height, width)`` covering positions ``0..n-1`` in order.

    Within a stretch, position ``start + i*width + j`` of every list sits at row ``i``,
    column ``j`` of one rectangle of that list.
    """
    n = lists[0][0].size
    if n == 0:
        return []
    # The stretches depend only on where each cell sits relative to its list's first cell, and
    # a layer's neurons repeat a handful of such shapes thousands of times: remember them.
    key = np.concatenate([np.concatenate((s - s[0], r - r[0], c - c[0])) for s, r, c in lists])
    key = key.astype(np.int64).tobytes() + bytes([len(lists)])
    found = _MEMO.get(key)
    if found is None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        found = _MEMO[key] = _stretches(lists, n)
    return found


def _stretches(lists, n: int) -> list[tuple[int, int, int]]:
    step = np.ones(n - 1, dtype=bool)
    for sheet, row, col in lists:
        step &= (sheet[1:] == sheet[:-1]) & (row[1:] == row[:-1]) & (col[1:] == col[:-1] + 1)
    # run[k]: how many cells from k on continue along one row in every list.
    ends = np.append(np.flatnonzero(~step), n - 1)
    run = ends[np.searchsorted(ends, np.arange(n))] - np.arange(n) + 1

    stretches = []
    start = 0
    while start < n:
        width = int(run[start])
        height = 1
        while _next_row_fits(lists, run, start, height, width, n):
            height += 1
        stretches.append((start, height, width))
        start += height * width
    return stretches


def _next_row_fits(lists, run, start, height, width, n) -> bool:
    nxt = start + height * width
    if nxt + width > n or run[nxt] < width:
        return False
    return all(
        sheet[nxt] == sheet[start] and row[nxt] == row[start] + height and col[nxt] == col[start]
        for sheet, row, col in lists
    )
