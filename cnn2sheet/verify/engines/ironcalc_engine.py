"""IronCalc (Rust engine with Python bindings) as an engine.

Facts this module relies on (ironcalc 0.9.1):

- ``ironcalc.load_from_xlsx(path, "en", "UTC")`` returns a raw ``Model``;
  nothing is recalculated until ``model.evaluate()``.
- Cells are addressed ``(sheet_index, row, column)``: sheet index = position
  of the sheet in the workbook (0-based), row and column 1-based.
  ``update_cell_with_number`` writes a float64 as is (no text parsing).
- ``get_cell_value`` returns ``None`` (empty), ``float``, ``bool`` or ``str``;
  an error comes back as its text (``'#DIV/0!'``) and is told apart from text
  by ``get_cell_type(...) == CellType.ErrorValue``.
- Failures raise ``ironcalc.WorkbookError``.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from .base import CellResult, EngineUnavailable, Session, describe_value
from .workbook_names import Area

logger = logging.getLogger(__name__)

ENGINE = "ironcalc"


def check_available() -> None:
    try:
        import ironcalc  # noqa: F401
    except ImportError as exc:
        raise EngineUnavailable(
            f"the Python package `ironcalc` cannot be imported ({exc}); "
            "install it with `pip install ironcalc`"
        ) from exc


class IronCalcSession(Session):
    engine = ENGINE

    def __init__(self, path: str | os.PathLike) -> None:
        check_available()
        super().__init__(path)
        import ironcalc

        self._error_type = ironcalc.CellType.ErrorValue
        self._number_type = ironcalc.CellType.Number
        logger.debug("ironcalc: loading %s", self.path)
        try:
            self._model = ironcalc.load_from_xlsx(str(self.path), "en", "UTC")
            sheets = [p["name"] for p in self._model.get_worksheets_properties()]
        except Exception as exc:
            raise self._error("loading", exc) from exc
        self._sheet_index = {name: k for k, name in enumerate(sheets)}
        missing = [s for s in self.workbook.sheets if s not in self._sheet_index]
        if missing:
            raise self._error("loading", f"sheets {missing} not found; ironcalc sees {sheets}")
        # Cells overwritten by earlier calls -> how to put the stored content back.
        self._originals: dict[tuple[int, int, int], tuple[str, object]] = {}
        self._dirty: dict[str, list[tuple[int, int, int]]] = {}

    def _remember(self, key: tuple[int, int, int]) -> None:
        if key in self._originals:
            return
        model = self._model
        if model.is_empty_cell(*key):
            self._originals[key] = ("empty", None)
        elif model.get_cell_formula(*key) is None and model.get_cell_type(*key) == (
            self._number_type
        ):
            self._originals[key] = ("number", model.get_cell_value(*key))
        else:
            self._originals[key] = ("content", model.get_cell_content(*key))

    def _restore(self, key: tuple[int, int, int]) -> None:
        kind, value = self._originals[key]
        if kind == "number":
            self._model.update_cell_with_number(*key, float(value))
        elif kind == "empty":
            self._model.clear_cell_contents(*key)
        else:
            self._model.set_user_input(*key, str(value))

    def _evaluate(
        self, writes: dict[str, tuple[Area, np.ndarray]], areas: dict[str, Area]
    ) -> dict[str, list[CellResult]]:
        model = self._model
        try:
            # Inputs written by an earlier call but not given now get their stored values back.
            for name in [n for n in self._dirty if n not in writes]:
                for key in self._dirty.pop(name):
                    self._restore(key)
            for name, (area, flat) in writes.items():
                sheet = self._sheet_index[area.sheet]
                keys = []
                for (row, col), value in zip(area.cells(), flat, strict=True):
                    key = (sheet, row, col)
                    self._remember(key)
                    model.update_cell_with_number(sheet, row, col, float(value))
                    keys.append(key)
                self._dirty[name] = keys
            model.evaluate()
        except Exception as exc:
            raise self._error("calculating", exc) from exc

        results: dict[str, list[CellResult]] = {}
        for target, area in areas.items():
            sheet = self._sheet_index[area.sheet]
            cells: list[CellResult] = []
            try:
                for row, col in area.cells():
                    value = model.get_cell_value(sheet, row, col)
                    if isinstance(value, str) and model.get_cell_type(sheet, row, col) == (
                        self._error_type
                    ):
                        cells.append(str(value))
                    else:
                        cells.append(describe_value(value))
            except Exception as exc:
                raise self._error(f"reading {area.address}", exc) from exc
            results[target] = cells
        return results

    def _close(self) -> None:
        self._model = None
        self._originals.clear()
        self._dirty.clear()
