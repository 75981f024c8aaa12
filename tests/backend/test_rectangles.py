"""Range coalescing: ordered cells → as few congruent rectangles as the order allows."""

from __future__ import annotations

import numpy as np

from cnn2sheet.backend.rectangles import coalesce


def _grid(cells):
    rows, cols = np.array(cells).T
    return np.zeros(len(cells), dtype=int), rows, cols


def test_a_window_and_its_filter_are_one_rectangle():
    xs = _grid([(2, 1), (2, 2), (2, 3), (3, 1), (3, 2), (3, 3)])
    ws = _grid([(0, 9), (0, 10), (0, 11), (1, 9), (1, 10), (1, 11)])

    assert coalesce(xs, ws) == [(0, 2, 3)]


def test_rows_that_do_not_line_up_split_the_stretch():
    xs = _grid([(0, 0), (0, 1), (1, 0), (1, 1)])
    ws = _grid([(0, 0), (0, 1), (0, 2), (0, 3)])  # one row: pairs with xs row by row only

    assert coalesce(xs, ws) == [(0, 1, 2), (2, 1, 2)]


def test_scattered_cells_stay_single():
    xs = _grid([(0, 0), (0, 2), (1, 0), (1, 2)])

    assert coalesce(xs) == [(0, 1, 1), (1, 1, 1), (2, 1, 1), (3, 1, 1)]


def test_a_longer_next_row_ends_the_rectangle_where_it_stops_fitting():
    xs = _grid([(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)])

    assert coalesce(xs) == [(0, 2, 2), (4, 1, 1)]


def test_different_sheets_never_share_a_rectangle():
    sheets = np.array([0, 0, 1, 1])
    rows = np.zeros(4, dtype=int)
    cols = np.array([0, 1, 2, 3])

    assert coalesce((sheets, rows, cols)) == [(0, 1, 2), (2, 1, 2)]


def test_empty_list():
    empty = np.zeros(0, dtype=int)

    assert coalesce((empty, empty, empty)) == []
