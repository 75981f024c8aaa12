"""Gnumeric's ``ssconvert`` as an engine.

Each evaluation writes the inputs into a private copy of the workbook (the sheet
XML is edited in place, see :mod:`.xlsx_patch`: openpyxl would round the inputs
to 16 digits and re-serialise the whole file), runs
``ssconvert --recalc in.xlsx out.xlsx`` and reads the recalculated values back
with openpyxl (``data_only=True``). One ssconvert run per sample; every sample
starts from the file as stored, so inputs not given keep their stored values.

Facts this module relies on (Gnumeric 1.12.55, openpyxl 3.1):

- ssconvert writes values with up to 21 significant digits, so they read back
  as the exact doubles Gnumeric computed.
- Error cells read back as strings with ``data_type == 'e'`` (``'#DIV/0!'``).
  A formula Gnumeric cannot parse becomes the error ``#"<formula text>"``,
  ssconvert says "Invalid expression" on stderr and still exits with 0. That
  happens to any reference to a sheet whose name contains an apostrophe
  (``'it''s'!A1``): Gnumeric's xlsx reader does not accept the doubled quote.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .base import CellResult, EngineUnavailable, Session, describe_value
from .workbook_names import Area
from .xlsx_patch import PatchError, XlsxPatcher

logger = logging.getLogger(__name__)

ENGINE = "gnumeric"
DEFAULT_TIMEOUT = 600.0


def check_available() -> str:
    """Path of ``ssconvert``; raises :class:`EngineUnavailable` if it is missing."""
    exe = shutil.which("ssconvert")
    if exe is None:
        raise EngineUnavailable(
            "Gnumeric's ssconvert was not found on PATH; install it with "
            "`apt-get install gnumeric` (Debian/Ubuntu) or your system's gnumeric package"
        )
    return exe


def _load_openpyxl(path: Path, **kwargs):
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Workbook contains no default style" etc.
        return openpyxl.load_workbook(path, **kwargs)


class GnumericSession(Session):
    engine = ENGINE

    def __init__(self, path: str | os.PathLike, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._ssconvert = check_available()
        super().__init__(path)
        self.timeout = timeout
        self.last_stderr = ""
        self._warned = False
        self._tmp = tempfile.TemporaryDirectory(prefix="cnn2sheet-gnumeric-")
        self._patcher: XlsxPatcher | None = None  # the package in memory, read at the first input

    # -- writing ------------------------------------------------------------

    def _prepare_file(self, writes: dict[str, tuple[Area, np.ndarray]]) -> Path:
        if not writes:
            return self.path  # nothing to change: recalculate the workbook as it is
        if self._patcher is None:
            try:
                self._patcher = XlsxPatcher(self.path)
            except PatchError as exc:
                raise self._error("reading the package to write inputs", exc) from exc
        cells: dict[str, dict[tuple[int, int], float]] = {}
        for area, flat in writes.values():
            cells.setdefault(area.sheet, {}).update(zip(area.cells(), flat.tolist(), strict=True))
        dst = Path(self._tmp.name) / "in.xlsx"
        try:
            self._patcher.write(dst, cells)
        except PatchError as exc:
            raise self._error("writing the inputs", exc) from exc
        return dst

    # -- running ------------------------------------------------------------

    def _recalc(self, src: Path) -> Path:
        out = Path(self._tmp.name) / "out.xlsx"
        out.unlink(missing_ok=True)
        cmd = [self._ssconvert, "--recalc", str(src), str(out)]
        logger.debug("gnumeric: running %s", cmd)
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, errors="replace", timeout=self.timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise self._error("calculating", f"ssconvert took more than {self.timeout} s") from exc
        except OSError as exc:
            raise self._error("calculating", f"cannot run ssconvert: {exc}") from exc
        self.last_stderr = proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        # Gnumeric cannot show colour-scale heat maps; that changes no value, so say nothing.
        lines = [line for line in lines if "unhandled conditional format" not in line]
        if proc.returncode != 0:
            last = lines[-1] if lines else "(no message on stderr)"
            raise self._error("calculating", f"ssconvert exited with {proc.returncode}: {last}")
        if not out.is_file():
            last = lines[-1] if lines else "(no message on stderr)"
            raise self._error("calculating", f"ssconvert wrote no output: {last}")
        if lines:
            # Once per session at warning level: a batch repeats the same complaint.
            log = logger.debug if self._warned else logger.warning
            self._warned = True
            log(
                "gnumeric: ssconvert reported %d line(s) on %s, first: %s",
                len(lines),
                self.path.name,
                lines[0],
            )
        return out

    # -- reading ------------------------------------------------------------

    def _read(self, out: Path, areas: dict[str, Area]) -> dict[str, list[CellResult]]:
        wanted: dict[str, set[tuple[int, int]]] = {}
        for area in areas.values():
            wanted.setdefault(area.sheet, set()).update(area.cells())
        found: dict[tuple[str, int, int], CellResult] = {}
        try:
            wb = _load_openpyxl(out, read_only=True, data_only=True)
        except Exception as exc:
            raise self._error("reading back ssconvert's output", exc) from exc
        try:
            for sheet, cells in wanted.items():
                if sheet not in wb.sheetnames:
                    raise self._error("reading back", f"sheet {sheet!r} missing from the output")
                ws = wb[sheet]
                rows = [r for r, _ in cells]
                for row in ws.iter_rows(min_row=min(rows), max_row=max(rows)):
                    for cell in row:
                        coord = (getattr(cell, "row", None), getattr(cell, "column", None))
                        if coord[0] is None or coord not in cells:
                            continue  # EmptyCell (no coordinates) or not wanted
                        found[(sheet, *coord)] = self._describe(cell)
        finally:
            wb.close()
        return {
            target: [found.get((area.sheet, r, c), "empty") for r, c in area.cells()]
            for target, area in areas.items()
        }

    @staticmethod
    def _describe(cell) -> CellResult:
        value = cell.value
        if cell.data_type == "e" and value is not None:
            text = str(value)
            if text.startswith('#"'):
                return f"{text} (Gnumeric could not parse this formula)"
            return text
        return describe_value(value)

    # -- Session ------------------------------------------------------------

    def _evaluate(
        self, writes: dict[str, tuple[Area, np.ndarray]], areas: dict[str, Area]
    ) -> dict[str, list[CellResult]]:
        src = self._prepare_file(writes)
        out = self._recalc(src)
        return self._read(out, areas)

    def _close(self) -> None:
        self._patcher = None
        self._tmp.cleanup()
