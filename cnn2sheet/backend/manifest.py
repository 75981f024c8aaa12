"""The manifest: a hidden sheet listing where every block of cells sits.

Verification reads it to compare each layer's cells with Keras's intermediate outputs; other
tools may read it too. One row per block: block, layer, class, kind, role, shape, range
(the block's bounding rectangle) and arrangement, which says where in that rectangle each cell
of the tensor (counted in C order) sits:

- ``rows``: the cells fill the rectangle row by row, in C order; the last row may end early.
- ``planes``: an (H, W, C) tensor shown as C grids of H×W side by side, one empty column between
  neighbouring grids; cell (h, w, c) sits at row h, column c·(W+1) + w of the rectangle.
- ``other``: neither (weights arranged unit by unit, for instance); no reader should guess.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from cnn2sheet.errors import WorkbookError

SHEET = "cnn2sheet"
COLUMNS = ("block", "layer", "class", "kind", "role", "shape", "range", "arrangement")
ARRANGEMENTS = ("rows", "planes", "other")
_REQUIRED = 7  # workbooks written before the arrangement column hold rows only


@dataclass(frozen=True)
class Entry:
    """One block of the workbook as the manifest records it."""

    block: str
    layer: str
    cls: str
    kind: str
    role: str
    shape: tuple[int, ...]
    range: str
    arrangement: str = "rows"

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def positions(shape: tuple[int, ...], arrangement: str, width: int) -> np.ndarray | None:
    """Where each cell of the tensor (C order) sits in a rectangle ``width`` cells wide.

    Returns flat, row-by-row indices into the rectangle, or None for ``other``.
    """
    size = math.prod(shape)
    if arrangement == "rows":
        return np.arange(size)
    if arrangement == "planes" and len(shape) == 3:
        h, w, c = np.meshgrid(*(np.arange(d) for d in shape), indexing="ij")
        return (h * width + c * (shape[1] + 1) + w).ravel()
    return None


def arrangement_of(shape: tuple[int, ...], rows: np.ndarray, cols: np.ndarray, width: int) -> str:
    """How cells at offsets ``rows``, ``cols`` (C order) fill a rectangle ``width`` wide."""
    flat = rows * width + cols
    for name in ARRANGEMENTS[:-1]:
        expected = positions(shape, name, width)
        if expected is not None and np.array_equal(flat, expected):
            return name
    return "other"


def write_manifest(book, entries: list[Entry]) -> None:
    """Add the hidden manifest sheet to an open XlsxWriter workbook."""
    sheet = book.add_worksheet(SHEET)
    sheet.hide()
    for col, title in enumerate(COLUMNS):
        sheet.write_string(0, col, title)
    for row, e in enumerate(entries, start=1):
        shape = "x".join(str(d) for d in e.shape)
        cells = (e.block, e.layer, e.cls, e.kind, e.role, shape, e.range, e.arrangement)
        for col, text in enumerate(cells):
            sheet.write_string(row, col, text)


def read_manifest(path: str | os.PathLike) -> list[Entry]:
    """The manifest of a compiled workbook; a clear error if the workbook has none."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except Exception as exc:  # openpyxl raises several types for a broken file
        raise WorkbookError(f"cannot read workbook '{path}': {exc}") from exc
    try:
        if SHEET not in book.sheetnames:
            raise WorkbookError(
                f"workbook '{path}' has no '{SHEET}' sheet: it was not written "
                "by cnn2sheet, or by an older version"
            )
        rows = list(book[SHEET].iter_rows(values_only=True))
    finally:
        book.close()
    if not rows or tuple(rows[0][:_REQUIRED]) != COLUMNS[:_REQUIRED]:
        raise WorkbookError(f"workbook '{path}': the '{SHEET}' sheet is not a manifest")
    entries = []
    for row in rows[1:]:
        cells = [str(v or "") for v in row[: len(COLUMNS)]]
        cells += [""] * (len(COLUMNS) - len(cells))
        block, layer, cls, kind, role, shape, where, arrangement = cells
        dims = tuple(int(d) for d in shape.split("x")) if shape else ()
        entries.append(Entry(block, layer, cls, kind, role, dims, where, arrangement or "rows"))
    return entries
