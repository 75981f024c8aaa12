"""A tiny CNN for the verify tests, and a way to tamper with its workbook's weights."""

from __future__ import annotations

import warnings
from pathlib import Path

import keras
import openpyxl
from keras import layers
from support import randomize_weights

from cnn2sheet.backend.manifest import read_manifest
from cnn2sheet.verify.engines import Area, parse_area
from cnn2sheet.verify.engines.xlsx_patch import XlsxPatcher


def tiny_cnn(seed: int = 0) -> keras.Model:
    """Conv → pool → flatten → softmax head: about 60 formula cells, every engine is quick."""
    inputs = keras.Input((5, 6, 2), name="image")
    x = layers.Conv2D(3, 3, activation="relu", name="conv")(inputs)
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(4, activation="softmax", name="head")(x)
    model = keras.Model(inputs, outputs)
    randomize_weights(model, seed)
    return model


def block_area(path: Path, block: str) -> Area:
    """The rectangle the manifest gives for ``block``."""
    ranges = {entry.block: entry.range for entry in read_manifest(path)}
    return parse_area(ranges[block])


def doctor(
    path: Path, dst: Path, block: str, delta: float = 0.5, count: int | None = None
) -> list[str]:
    """Copy the workbook with ``delta`` added to the numbers of ``block``; return their cells.

    Every number of the block, or its first ``count`` numbers read row by row.

    The sheet XML is edited in place (the rest of the file, cached values included, stays as
    compiled), the way a user changing weights by hand would leave it before recalculating.
    """
    area = block_area(path, block)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = book[area.sheet].iter_rows(
            min_row=area.min_row,
            max_row=area.max_row,
            min_col=area.min_col,
            max_col=area.max_col,
        )
        numbers = {
            (cell.row, cell.column): cell.value + delta
            for row in rows
            for cell in row
            if isinstance(cell.value, int | float)
        }
        numbers = dict(list(numbers.items())[:count])
    finally:
        book.close()
    XlsxPatcher(path).write(dst, {area.sheet: numbers})
    return [area.cell_address(row, col) for row, col in sorted(numbers)]
