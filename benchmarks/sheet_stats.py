"""Read a compiled workbook back: its formula statistics, and XlsxWriter alone rewriting it.

The cells are read with openpyxl (formulas as text, then the cached values), outside every timed
region. Nesting depth comes from the project's own formula parser and ``ast.depth``; formulas
that differ only in their cell addresses and numbers share one parse.
"""

from __future__ import annotations

import gc
import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import xlsxwriter

from cnn2sheet.formula import ast
from cnn2sheet.formula.parser import parse

# Addresses and numbers do not change how deeply calls nest: a formula's "shape" replaces them.
_CELL = re.compile(r"(?<![\w.$])\$?[A-Z]{1,3}\$?[0-9]+(?![\w(])")
_NUMBER = re.compile(r"(?<![\w.$])[0-9]+(?:\.[0-9]*)?(?:[Ee][+-]?[0-9]+)?(?![\w(])")


@dataclass
class Sheet:
    """One worksheet's cells in writing order: (row, col, value, formula text or None)."""

    name: str
    hidden: bool
    cells: list[tuple[int, int, object, str | None]]


@dataclass(frozen=True)
class FormulaStats:
    """Sizes of the formulas in a workbook."""

    formula_cells: int
    value_cells: int  # numbers and text
    longest_formula: int  # characters, without the leading "="
    deepest_nesting: int  # function calls inside function calls (Excel allows 64)
    distinct_shapes: int  # formulas parsed (one per shape)


def read_workbook(path: Path) -> tuple[list[Sheet], list[tuple[str, str]]]:
    """Every cell of ``path`` with its cached value, and the workbook's defined names."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        texts = openpyxl.load_workbook(path, read_only=True)
        cached = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheets = []
    for ws, wv in zip(texts.worksheets, cached.worksheets, strict=True):
        cells = []
        for row_t, row_v in zip(ws.iter_rows(), wv.iter_rows(), strict=True):
            for cell, held in zip(row_t, row_v, strict=True):
                if cell.value is None:
                    continue
                formula = cell.value if cell.data_type == "f" else None
                cells.append((cell.row - 1, cell.column - 1, held.value, formula))
        sheets.append(Sheet(ws.title, ws.sheet_state != "visible", cells))
    names = [(name, dn.attr_text) for name, dn in texts.defined_names.items()]
    texts.close()
    cached.close()
    return sheets, names


def formula_stats(sheets: list[Sheet]) -> FormulaStats:
    """Count the formula and value cells; find the longest formula and the deepest nesting."""
    formulas = [f for s in sheets for _, _, _, f in s.cells if f is not None]
    values = sum(1 for s in sheets for _, _, _, f in s.cells if f is None)
    shapes = {_NUMBER.sub("1", _CELL.sub("A1", f)) for f in formulas}
    deepest = max((ast.depth(parse(shape)) for shape in shapes), default=0)
    longest = max((len(f) - 1 for f in formulas), default=0)
    return FormulaStats(len(formulas), values, longest, deepest, len(shapes))


def time_xlsxwriter(sheets: list[Sheet], names: list[tuple[str, str]], path: Path) -> float:
    """Seconds XlsxWriter alone takes to write the same cells (formula text, cached values)."""
    gc.collect()
    began = time.perf_counter()
    book = xlsxwriter.Workbook(
        str(path),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name)
        if sheet.hidden:
            ws.hide()
        for row, col, value, formula in sheet.cells:
            if formula is not None:
                ws.write_formula(row, col, formula, None, value)
            elif isinstance(value, str):
                ws.write_string(row, col, value)
            else:
                ws.write_number(row, col, float(value))
    for name, text in names:
        book.define_name(name, "=" + text)
    book.close()
    return time.perf_counter() - began
