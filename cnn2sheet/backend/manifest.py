"""The manifest: a hidden sheet listing where every block of cells sits.

Verification reads it to compare each layer's cells with Keras's intermediate outputs; other
tools may read it too. One row per block: block, layer, class, kind, role, shape, range.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cnn2sheet.errors import WorkbookError

SHEET = "cnn2sheet"
COLUMNS = ("block", "layer", "class", "kind", "role", "shape", "range")


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


def write_manifest(book, entries: list[Entry]) -> None:
    """Add the hidden manifest sheet to an open XlsxWriter workbook."""
    sheet = book.add_worksheet(SHEET)
    sheet.hide()
    for col, title in enumerate(COLUMNS):
        sheet.write_string(0, col, title)
    for row, e in enumerate(entries, start=1):
        shape = "x".join(str(d) for d in e.shape)
        for col, text in enumerate((e.block, e.layer, e.cls, e.kind, e.role, shape, e.range)):
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
    if not rows or tuple(rows[0][: len(COLUMNS)]) != COLUMNS:
        raise WorkbookError(f"workbook '{path}': the '{SHEET}' sheet is not a manifest")
    entries = []
    for row in rows[1:]:
        block, layer, cls, kind, role, shape, where = (str(v or "") for v in row[: len(COLUMNS)])
        dims = tuple(int(d) for d in shape.split("x")) if shape else ()
        entries.append(Entry(block, layer, cls, kind, role, dims, where))
    return entries
