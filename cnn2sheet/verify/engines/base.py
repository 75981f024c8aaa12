"""What every engine shares: the exceptions and the :class:`Session` skeleton.

An engine subclass only loads the workbook, writes numbers into cells,
recalculates and reads cells back; name resolution, input checking and turning
cell values into float arrays (NaN plus an error record for anything that is not
a number) live here, once.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from cnn2sheet.errors import Cnn2SheetError

from .workbook_names import Area, WorkbookNames

logger = logging.getLogger(__name__)

#: What an engine reports for one cell: the number, or a description of why the
#: cell holds no number (an error text like ``"#VALUE!"``, ``"empty"``, ...).
CellResult = float | str


class EngineUnavailable(Cnn2SheetError):
    """The engine is not installed; the message says how to install it."""


class EngineError(Cnn2SheetError):
    """The engine failed on a workbook; the message names the workbook and the engine."""


class InputError(Cnn2SheetError, ValueError):
    """An input array does not fit its rectangle (size, or values a cell cannot hold)."""


def describe_value(value: object) -> CellResult:
    """A plain cell value (number, bool, text, None) as a float or a problem text.

    Error values must be recognised by the engine before calling this: each
    engine marks them differently.
    """
    if value is None:
        return "empty"
    if isinstance(value, (bool, np.bool_)):
        return f"boolean {'TRUE' if value else 'FALSE'}"
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if math.isfinite(number):
            return number
        return f"non-finite number {number!r}"
    if isinstance(value, str):
        if value == "":
            return "empty"
        return f"text {value!r}"
    return f"unexpected value {value!r} of type {type(value).__name__}"


class Session:
    """One workbook loaded in one engine, evaluated for any number of samples.

    ``evaluate(inputs, targets)`` writes ``inputs`` (defined name -> array) into
    their rectangles row by row, recalculates, and returns each target (a
    defined name or a sheet-qualified range) as a 1-D float64 array read row by
    row. Cells without a number (error, text, boolean, empty) come back as NaN;
    ``last_errors`` then maps every target of the last call to the list of
    ``(address, problem)`` of those cells, e.g. ``("'model'!B4", "#VALUE!")``.
    """

    engine: str = ""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"workbook not found: {self.path}")
        self._closed = False
        self.last_errors: dict[str, list[tuple[str, str]]] = {}
        try:
            self.workbook = WorkbookNames.read(self.path)
        except Exception as exc:
            raise EngineError(
                f"{self.engine}: cannot read the sheets and defined names of {self.path}: {exc}"
            ) from exc

    # -- public API ---------------------------------------------------------

    def evaluate(
        self, inputs: Mapping[str, np.ndarray] | None, targets: Iterable[str]
    ) -> dict[str, np.ndarray]:
        if self._closed:
            raise RuntimeError(f"{self.engine} session of {self.path} is closed")
        if isinstance(targets, str):
            targets = [targets]
        writes = self._prepare_inputs(inputs or {})
        areas = {target: self.workbook.resolve(target) for target in targets}
        raw = self._evaluate(writes, areas)
        results: dict[str, np.ndarray] = {}
        errors: dict[str, list[tuple[str, str]]] = {}
        for target, area in areas.items():
            cells = raw[target]
            values = np.full(area.size, np.nan, dtype=np.float64)
            problems: list[tuple[str, str]] = []
            for k, ((row, col), cell) in enumerate(zip(area.cells(), cells, strict=True)):
                if isinstance(cell, float):
                    values[k] = cell
                else:
                    problems.append((area.cell_address(row, col), cell))
            results[target] = values
            errors[target] = problems
            if problems:
                first_cell, first_problem = problems[0]
                logger.info(
                    "%s: %s has %d cell(s) without a number in %s, first %s: %s",
                    self.engine,
                    target,
                    len(problems),
                    self.path.name,
                    first_cell,
                    first_problem,
                )
        self.last_errors = errors
        return results

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<{type(self).__name__} {self.engine} {self.path} ({state})>"

    # -- for subclasses -----------------------------------------------------

    def _evaluate(
        self, writes: dict[str, tuple[Area, np.ndarray]], areas: dict[str, Area]
    ) -> dict[str, list[CellResult]]:
        """Write ``writes``, recalculate, return each area's cells row by row.

        Inputs not in ``writes`` must hold the workbook's own stored values,
        whatever earlier calls wrote.
        """
        raise NotImplementedError

    def _close(self) -> None:
        """Release what the engine holds (models, temporary files)."""

    def _error(self, what: str, exc: BaseException | str) -> EngineError:
        return EngineError(f"{self.engine} failed {what} on workbook {self.path}: {exc}")

    # -- helpers ------------------------------------------------------------

    def _prepare_inputs(
        self, inputs: Mapping[str, np.ndarray]
    ) -> dict[str, tuple[Area, np.ndarray]]:
        writes: dict[str, tuple[Area, np.ndarray]] = {}
        for name, value in inputs.items():
            area = self.workbook.resolve(name)
            try:
                flat = np.asarray(value, dtype=np.float64).ravel(order="C")
            except (TypeError, ValueError) as exc:
                raise InputError(f"input {name!r} is not an array of numbers: {exc}") from exc
            if flat.size != area.size:
                raise InputError(
                    f"input {name!r} ({area.address}) has {area.size} cells "
                    f"{area.shape[0]}x{area.shape[1]}, but the array given has {flat.size} "
                    f"values (shape {np.shape(value)})"
                )
            bad = np.flatnonzero(~np.isfinite(flat))
            if bad.size:
                raise InputError(
                    f"input {name!r} holds {bad.size} non-finite value(s) (first at flat index "
                    f"{bad[0]}: {flat[bad[0]]}); a spreadsheet cell cannot hold NaN or inf"
                )
            writes[name] = (area, flat)
        return writes
