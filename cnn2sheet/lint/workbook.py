"""Read a workbook's formulas with openpyxl and run the lint rules on each, then on each sheet."""

from __future__ import annotations

import logging
import os
import time
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.formula import ArrayFormula

from cnn2sheet.errors import Cnn2SheetError, WorkbookError
from cnn2sheet.formula import ast
from cnn2sheet.formula.parser import parse
from cnn2sheet.formula.printer import column_letters
from cnn2sheet.lint.report import Finding, LintReport
from cnn2sheet.lint.rules import FormulaLinter
from cnn2sheet.targets import Target, get_target

log = logging.getLogger(__name__)


def lint_workbook(path: str | os.PathLike, target: str | Target = "excel") -> list[Finding]:
    """Every finding for the workbook at ``path`` on ``target`` ("excel" or "sheets")."""
    return lint(path, target).findings


def lint(path: str | os.PathLike, target: str | Target = "excel") -> LintReport:
    """Lint the workbook at ``path`` for ``target``; the report counts what it checked."""
    began = time.perf_counter()
    spec = target if isinstance(target, Target) else get_target(target)
    path = Path(path)
    book = _open(path)
    report = LintReport(path, spec.name)
    try:
        names = _defined_names(book.defined_names)
        linter = FormulaLinter(spec)
        cells = 0
        for sheet in book.worksheets:
            local = {**names, **_defined_names(sheet.defined_names)}
            rows, cols = _lint_sheet(sheet, linter, local, report)
            report.findings.extend(_sheet_size(sheet.title, rows, cols, spec))
            report.sheets += 1
            cells += rows * cols
    finally:
        book.close()

    if spec.max_cells is not None and cells > spec.max_cells:
        message = f"{cells:,} cells on all sheets; {spec.name} allows {spec.max_cells:,}"
        report.findings.append(Finding("", "", "total-cells", "error", message))
    log.info(
        "linted %d formulas of %s in %.1f s", report.formulas, path, time.perf_counter() - began
    )
    return report


def _open(path: Path):
    if not path.is_file():
        raise WorkbookError(f"workbook '{path}' does not exist")
    try:
        # Read-only streams the sheets: lint must cope with workbooks of a million cells.
        return openpyxl.load_workbook(path, read_only=True, keep_links=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise WorkbookError(f"cannot read workbook '{path}': {exc}") from None


def _lint_sheet(sheet, linter: FormulaLinter, names, report: LintReport) -> tuple[int, int]:
    """Check every formula of ``sheet``; returns the rows and columns the sheet uses."""
    # Trust the cells, not the sheet's <dimension> tag: a tag claiming XFD1048576 would make
    # openpyxl pad every missing row to 16,384 empty cells.
    sheet.reset_dimensions()
    rows = cols = 0
    for row in sheet.iter_rows():
        for cell in row:
            value = cell.value
            if value is None:
                continue
            rows, cols = max(rows, cell.row), max(cols, cell.column)
            if cell.data_type != "f":
                continue
            if isinstance(value, ArrayFormula):
                text, array = value.text, True
            elif isinstance(value, str):
                text, array = value, False
            else:
                continue  # a data-table formula ({=TABLE(...)}) has no text to check
            report.formulas += 1
            for problem in linter.check(text, names, array):
                report.findings.append(
                    Finding(
                        sheet.title,
                        cell.coordinate,
                        problem.rule,
                        problem.severity,
                        problem.message,
                        problem.text,
                    )
                )
    return rows, cols


def _sheet_size(title: str, rows: int, cols: int, target: Target) -> list[Finding]:
    findings = []
    if rows > target.max_rows:
        message = f"{rows:,} rows; {target.name} allows {target.max_rows:,}"
        findings.append(Finding(title, "", "sheet-size", "error", message))
    max_cols = target.program_max_cols or target.max_cols
    if cols > max_cols:
        message = (
            f"{cols:,} columns (to {column_letters(cols - 1)}); "
            f"{target.name} allows {max_cols:,} (to {column_letters(max_cols - 1)})"
        )
        findings.append(Finding(title, "", "sheet-size", "error", message))
    return findings


def _defined_names(defined) -> dict[str, bool]:
    """Defined names (lower case) → whether each covers more than one cell."""
    return {name.lower(): _covers_many(item.attr_text or "") for name, item in defined.items()}


def _covers_many(text: str) -> bool:
    try:
        tree = parse(text)
    except Cnn2SheetError:
        return False  # a constant, a formula or a broken reference: treat it as one value
    if isinstance(tree, ast.Range):
        return tree.start != tree.end
    return isinstance(tree, ast.Span | ast.Array)
