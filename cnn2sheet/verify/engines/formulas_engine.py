"""The ``formulas`` package (pure Python) as an engine.

The workbook is loaded once per session (about 2.4 ms per formula cell); for
each set of input names and targets a function is compiled once with
``ExcelModel.compile`` and then called per sample, which is cheap.

Facts this module relies on (formulas 1.3.4):

- Node ids are ``"'[<file name>]<SHEET>'!A1"``: file name as on disk, sheet name
  upper-cased, always quoted, apostrophes *not* doubled. Because of that last
  point a sheet whose name contains an apostrophe breaks ``finish()`` (the id
  cannot be parsed back). Such sheets are renamed in a private copy of the
  workbook before loading (formulas and defined names rewritten to match);
  the calculation itself is unchanged.
- Only cells that hold something are nodes; an empty cell is not.
- A compiled function takes one value per input cell, and a value that feeds a
  range must be a ``Ranges`` object; it returns one ``Ranges`` per output cell.
- Errors are ``formulas.tokens.operand.XlError`` (a ``str`` subclass such as
  ``'#DIV/0!'``); an empty result is the token ``schedula.EMPTY``.
- Numeric constants stored in cells are rounded on load to 15 decimals
  (``round(value, 15)``); values written through ``evaluate`` are not.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .base import CellResult, EngineUnavailable, Session, describe_value
from .workbook_names import Area, cell_ref, quote_sheet

logger = logging.getLogger(__name__)

ENGINE = "formulas"
_BOOK_NAME = "book.xlsx"


def check_available() -> None:
    try:
        import formulas  # noqa: F401
    except ImportError as exc:
        raise EngineUnavailable(
            f"the Python package `formulas` cannot be imported ({exc}); "
            "install it with `pip install formulas`"
        ) from exc


def _safe_sheet_names(sheets: list[str]) -> dict[str, str]:
    """Sheet name -> name without apostrophes, unique among the workbook's sheets."""
    taken = {s.casefold() for s in sheets if "'" not in s}
    renames: dict[str, str] = {}
    for sheet in sheets:
        if "'" not in sheet:
            continue
        base = sheet.replace("'", "_")
        new, k = base, 1
        while new.casefold() in taken:
            new, k = f"{base}_{k}", k + 1
        taken.add(new.casefold())
        renames[sheet] = new
    return renames


def _write_renamed_copy(src: Path, dst: Path, renames: dict[str, str]) -> None:
    """Copy ``src`` to ``dst`` with sheets renamed and every reference rewritten."""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    patterns = [
        (re.compile(re.escape(quote_sheet(old) + "!"), re.IGNORECASE), quote_sheet(new) + "!")
        for old, new in renames.items()
    ]

    def rewrite(text: str) -> str:
        for pattern, replacement in patterns:
            text = pattern.sub(lambda _m, r=replacement: r, text)
        return text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                if isinstance(cell.value, ArrayFormula):
                    cell.value.text = rewrite(cell.value.text)
                elif isinstance(cell.value, str):
                    cell.value = rewrite(cell.value)
    for dn in wb.defined_names.values():
        if dn.attr_text:
            dn.attr_text = rewrite(dn.attr_text)
    for ws in wb.worksheets:
        for dn in ws.defined_names.values():
            if dn.attr_text:
                dn.attr_text = rewrite(dn.attr_text)
        if ws.title in renames:
            ws.title = renames[ws.title]
    wb.save(dst)


class FormulasSession(Session):
    engine = ENGINE

    def __init__(self, path: str | os.PathLike) -> None:
        check_available()
        super().__init__(path)
        import formulas
        from formulas.ranges import Ranges
        from formulas.tokens.operand import XlError

        self._Ranges = Ranges
        self._XlError = XlError
        self._compiled: dict[tuple[tuple[str, ...], tuple[str, ...]], object] = {}
        self._input_ranges: dict[str, dict] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="cnn2sheet-formulas-")
        # A private copy with a plain file name: the file name is part of every
        # node id, and an apostrophe or bracket in it would break them too.
        book = Path(self._tmp.name) / _BOOK_NAME
        renames = _safe_sheet_names(self.workbook.sheets)
        try:
            if renames:
                logger.info(
                    "formulas cannot handle apostrophes in sheet names; evaluating %s with "
                    "sheets renamed %s",
                    self.path.name,
                    renames,
                )
                _write_renamed_copy(self.path, book, renames)
            else:
                shutil.copyfile(self.path, book)
        except Exception as exc:
            self._tmp.cleanup()
            raise self._error("preparing a copy to load", exc) from exc
        self._sheet_ids = {
            sheet: f"'[{_BOOK_NAME}]{renames.get(sheet, sheet).upper()}'"
            for sheet in self.workbook.sheets
        }
        logger.debug("formulas: loading %s", self.path)
        try:
            self._model = formulas.ExcelModel().loads(str(book)).finish()
        except Exception as exc:
            self._tmp.cleanup()
            raise self._error("loading", exc) from exc
        self._nodes = self._model.dsp.nodes

    def _cell_id(self, sheet: str, row: int, col: int) -> str:
        return f"{self._sheet_ids[sheet]}!{cell_ref(row, col)}"

    def _compile(self, input_ids: tuple[str, ...], output_ids: tuple[str, ...]):
        key = (input_ids, output_ids)
        func = self._compiled.get(key)
        if func is None:
            logger.debug(
                "formulas: compiling %d inputs -> %d outputs of %s",
                len(input_ids),
                len(output_ids),
                self.path.name,
            )
            try:
                func = self._model.compile(inputs=list(input_ids), outputs=list(output_ids))
            except Exception as exc:
                raise self._error("compiling the workbook", exc) from exc
            self._compiled[key] = func
        return func

    def _input_value(self, cell_id: str, value: float):
        rng = self._input_ranges.get(cell_id)
        if rng is None:
            rng = self._input_ranges[cell_id] = self._Ranges.get_range(cell_id)
        return self._Ranges().set_value(rng, float(value))

    def _evaluate(
        self, writes: dict[str, tuple[Area, np.ndarray]], areas: dict[str, Area]
    ) -> dict[str, list[CellResult]]:
        input_ids: list[str] = []
        input_values: list[float] = []
        for name in sorted(writes):
            area, flat = writes[name]
            for (row, col), value in zip(area.cells(), flat, strict=True):
                cell_id = self._cell_id(area.sheet, row, col)
                if cell_id not in self._nodes:
                    raise self._error(
                        f"setting input {name!r}",
                        f"cell {area.cell_address(row, col)} is empty in the workbook, and "
                        "formulas can only replace cells that hold a value",
                    )
                input_ids.append(cell_id)
                input_values.append(value)

        # Only cells that hold something are nodes; empty cells are reported as such.
        wanted: dict[str, None] = {}
        for area in areas.values():
            for row, col in area.cells():
                cell_id = self._cell_id(area.sheet, row, col)
                if cell_id in self._nodes:
                    wanted[cell_id] = None
        output_ids = list(wanted)

        computed: dict[str, object] = {}
        if output_ids:
            func = self._compile(tuple(input_ids), tuple(output_ids))
            args = [self._input_value(i, v) for i, v in zip(input_ids, input_values, strict=True)]
            try:
                outputs = func(*args)
            except Exception as exc:
                raise self._error("calculating", exc) from exc
            if len(output_ids) == 1 and not isinstance(outputs, (list, tuple)):
                outputs = [outputs]
            computed = dict(zip(output_ids, outputs, strict=True))

        results: dict[str, list[CellResult]] = {}
        for target, area in areas.items():
            cells: list[CellResult] = []
            for row, col in area.cells():
                cell_id = self._cell_id(area.sheet, row, col)
                cells.append(self._describe(computed[cell_id]) if cell_id in computed else "empty")
            results[target] = cells
        return results

    def _describe(self, result: object) -> CellResult:
        value = getattr(result, "value", result)
        if isinstance(value, np.ndarray):
            if value.size != 1:
                return f"array of shape {value.shape} in one cell"
            value = value.ravel()[0]
        if isinstance(value, self._XlError):
            return str(value)
        if isinstance(value, str) and type(value) is not str:  # schedula tokens: EMPTY, NONE
            return "empty" if str(value) == "empty" else f"token {str(value)!r}"
        return describe_value(value)

    def _close(self) -> None:
        self._compiled.clear()
        self._model = None
        self._nodes = {}
        self._tmp.cleanup()
