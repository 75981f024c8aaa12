"""Defined names and range addresses of a workbook, shared by every engine.

A workbook of the project names its tensors with workbook-scoped defined names
(``input`` -> ``'model'!$B$3:$I$10``); each name points at one rectangle on one
sheet, read row by row. This module parses such addresses (A1 <-> row/column,
quoted sheet names with ``''`` escaping, ``$`` signs), reads the names of a
workbook through openpyxl, and resolves a target (a defined name or an explicit
sheet-qualified range) to an :class:`Area`.

Rows and columns are 1-based everywhere, as in the spreadsheet.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from cnn2sheet.errors import WorkbookError
from cnn2sheet.formula.parser import column_index as formula_column_index
from cnn2sheet.formula.printer import column_letters as formula_column_letters

logger = logging.getLogger(__name__)

MAX_ROW = 1_048_576
MAX_COL = 16_384

_CELL_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_AREA_RE = re.compile(
    r"""^\s*=?\s*
    (?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!:\s\[\]*?/\\]+))!
    (?P<first>\$?[A-Za-z]{1,3}\$?[0-9]{1,7})
    (?::(?P<last>\$?[A-Za-z]{1,3}\$?[0-9]{1,7}))?
    \s*$""",
    re.VERBOSE,
)
_SHEETLESS_RE = re.compile(
    r"\s*\$?[A-Za-z]{1,3}\$?[0-9]{1,7}(?::\$?[A-Za-z]{1,3}\$?[0-9]{1,7})?\s*"
)


class AddressError(WorkbookError, ValueError):
    """An address, sheet or defined name that does not give one rectangle of the workbook."""


class UnknownNameError(AddressError, KeyError):
    """A target or input is neither a defined name of the workbook nor a range."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


def column_index(letters: str) -> int:
    """``"A"`` -> 1, ``"AA"`` -> 27 (case-insensitive); 1-based, as openpyxl counts."""
    if not letters or not letters.isascii() or not letters.isalpha():
        raise AddressError(f"not a column name: {letters!r}")
    index = formula_column_index(letters) + 1
    if index > MAX_COL:
        raise AddressError(f"column {letters!r} is beyond the last column XFD")
    return index


def column_letters(index: int) -> str:
    """1 -> ``"A"``, 27 -> ``"AA"``."""
    if not 1 <= index <= MAX_COL:
        raise AddressError(f"column index {index} out of range 1..{MAX_COL}")
    return formula_column_letters(index - 1)


def parse_cell(ref: str) -> tuple[int, int]:
    """``"$B$3"`` / ``"b3"`` -> (row, col) = (3, 2)."""
    m = _CELL_RE.fullmatch(ref.strip())
    if not m:
        raise AddressError(f"not an A1 cell reference: {ref!r}")
    row = int(m.group(2))
    if not 1 <= row <= MAX_ROW:
        raise AddressError(f"row {row} of {ref!r} out of range 1..{MAX_ROW}")
    return row, column_index(m.group(1))


def cell_ref(row: int, col: int) -> str:
    """(3, 2) -> ``"B3"``."""
    return f"{column_letters(col)}{row}"


def quote_sheet(sheet: str) -> str:
    """Sheet name as written before ``!``, always quoted: ``it's`` -> ``'it''s'``."""
    return "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True)
class Area:
    """A rectangle of cells on one sheet; 1-based, bounds inclusive."""

    sheet: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.max_row - self.min_row + 1, self.max_col - self.min_col + 1

    @property
    def size(self) -> int:
        rows, cols = self.shape
        return rows * cols

    def cells(self) -> Iterator[tuple[int, int]]:
        """(row, col) of every cell, row by row (C order of the tensor)."""
        for row in range(self.min_row, self.max_row + 1):
            for col in range(self.min_col, self.max_col + 1):
                yield row, col

    @property
    def ref(self) -> str:
        """``"B3:I10"`` (or ``"B3"`` for one cell), without the sheet."""
        first = cell_ref(self.min_row, self.min_col)
        if self.size == 1:
            return first
        return f"{first}:{cell_ref(self.max_row, self.max_col)}"

    @property
    def address(self) -> str:
        """``"'model'!B3:I10"``."""
        return f"{quote_sheet(self.sheet)}!{self.ref}"

    def cell_address(self, row: int, col: int) -> str:
        """``"'model'!B4"`` for one cell of this sheet."""
        return f"{quote_sheet(self.sheet)}!{cell_ref(row, col)}"


def parse_area(text: str) -> Area:
    """Parse a sheet-qualified address: ``'conv 1'!$C$5:$F$9``, ``model!A1``.

    The sheet name is returned as written (unescaped, case kept); see
    :meth:`WorkbookNames.resolve` for matching it against the workbook's sheets.
    """
    m = _AREA_RE.match(text)
    if not m:
        raise AddressError(
            f"not a sheet-qualified cell or range address: {text!r} "
            "(expected e.g. 'my sheet'!B3:I10 or model!A1)"
        )
    quoted = m.group("quoted")
    sheet = quoted.replace("''", "'") if quoted is not None else m.group("plain")
    r1, c1 = parse_cell(m.group("first"))
    r2, c2 = parse_cell(m.group("last")) if m.group("last") else (r1, c1)
    return Area(sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))


class WorkbookNames:
    """The sheets and workbook-scoped defined names of one workbook.

    ``names`` maps each name that points at a single rectangle to its
    :class:`Area` (with the sheet name spelled as in the workbook);
    ``definitions`` holds the text of every workbook-scoped name, including
    those that are not one rectangle.
    """

    def __init__(self, sheets: list[str], definitions: dict[str, str], source: str = "") -> None:
        self.source = source
        self.sheets = list(sheets)
        self.definitions = dict(definitions)
        self._sheet_by_key = {s.casefold(): s for s in self.sheets}
        self.names: dict[str, Area] = {}
        self._name_by_key: dict[str, str] = {}
        for name, text in self.definitions.items():
            self._name_by_key[name.casefold()] = name
            try:
                area = parse_area(text)
                sheet = self._sheet_by_key.get(area.sheet.casefold())
            except ValueError:
                sheet = None
            if sheet is None:
                logger.debug("defined name %s = %s is not a rectangle of a sheet", name, text)
                continue
            self.names[name] = Area(sheet, area.min_row, area.min_col, area.max_row, area.max_col)

    @classmethod
    def read(cls, path: str | os.PathLike) -> WorkbookNames:
        """Read sheet names and workbook-scoped defined names with openpyxl."""
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style warnings of files not from Excel
            wb = openpyxl.load_workbook(os.fspath(path), read_only=True)
        try:
            definitions = {
                name: (dn.attr_text or "")
                for name, dn in wb.defined_names.items()
                if dn.localSheetId is None and not dn.hidden
            }
            sheets = list(wb.sheetnames)
        finally:
            wb.close()
        return cls(sheets, definitions, source=os.fspath(path))

    def _where(self) -> str:
        return f" in {self.source}" if self.source else ""

    def sheet(self, name: str) -> str:
        """The workbook's spelling of sheet ``name`` (matched case-insensitively)."""
        found = self._sheet_by_key.get(name.casefold())
        if found is None:
            raise AddressError(
                f"no sheet named {name!r}{self._where()}; the sheets are {self.sheets}"
            )
        return found

    def name(self, name: str) -> Area:
        """The rectangle of defined name ``name`` (matched case-insensitively)."""
        key = self._name_by_key.get(name.casefold())
        if key is None:
            raise UnknownNameError(
                f"unknown defined name {name!r}{self._where()}; "
                f"the workbook defines {sorted(self.definitions) or 'no names'}"
            )
        area = self.names.get(key)
        if area is None:
            raise AddressError(
                f"defined name {key!r}{self._where()} is not one rectangle of a sheet: "
                f"={self.definitions[key]}"
            )
        return area

    def resolve(self, target: str) -> Area:
        """A defined name, or an explicit sheet-qualified range, as an :class:`Area`."""
        if "!" in target:
            area = parse_area(target)
            return Area(
                self.sheet(area.sheet), area.min_row, area.min_col, area.max_row, area.max_col
            )
        if _SHEETLESS_RE.fullmatch(target) and target.casefold() not in self._name_by_key:
            raise AddressError(
                f"range {target!r} needs a sheet, e.g. "
                f"{quote_sheet(self.sheets[0])}!{target.strip()}"
                if self.sheets
                else f"range {target!r} needs a sheet"
            )
        return self.name(target)
