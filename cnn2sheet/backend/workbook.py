"""Write the laid-out program as one .xlsx workbook, atomically."""

from __future__ import annotations

import logging
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import xlsxwriter

from cnn2sheet.backend import style
from cnn2sheet.backend.check_sheet import is_verdict, style_verdict, verdict_formula
from cnn2sheet.backend.manifest import Entry, arrangement_of, write_manifest
from cnn2sheet.backend.prediction import (
    PREDICTION_LAYER,
    SCORES,
    highlight_best,
    is_label,
    label_shown,
)
from cnn2sheet.backend.render import Renderer
from cnn2sheet.errors import TargetLimitError, WorkbookError
from cnn2sheet.formula import ast
from cnn2sheet.formula.printer import cell_address, quote_sheet, to_formula
from cnn2sheet.ir import Program
from cnn2sheet.layout import Layout, Placement
from cnn2sheet.progress import Progress, track_cells
from cnn2sheet.targets import Target

log = logging.getLogger(__name__)


def write_workbook(
    program: Program,
    layout: Layout,
    values: np.ndarray,
    path: str | os.PathLike,
    target: Target,
    progress: Progress | None = None,
) -> Path:
    """Write ``program`` to ``path``; a failure leaves no file and any old file untouched."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise WorkbookError(f"output '{path}' must end in .xlsx")
    if not path.parent.exists():
        raise WorkbookError(f"cannot write '{path}': folder '{path.parent}' does not exist")

    handle, temp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xlsx", dir=path.parent)
    os.close(handle)
    try:
        _write(program, layout, values, temp, target, progress)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    log.debug("wrote %s", path)
    return path


def range_text(layout: Layout, placement: Placement) -> str:
    """Absolute, sheet-qualified address of a placement's rectangle: ``model!$B$3:$I$10``."""
    sheet = layout.sheets[placement.sheet]
    start = ast.Cell(placement.row, placement.col, row_abs=True, col_abs=True)
    end = ast.Cell(placement.last_row, placement.last_col, row_abs=True, col_abs=True)
    return f"{quote_sheet(sheet)}!{cell_address(start)}:{cell_address(end)}"


def _write(program, layout, values, filename, target, progress) -> None:
    book = xlsxwriter.Workbook(
        filename,
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    styles = {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "heading": book.add_format({"bold": True, "font_size": 12}),
        "caption": book.add_format({"italic": True, "font_color": "#555555"}),
        **style.number_formats(book),
    }
    sheets = [book.add_worksheet(name) for name in layout.sheets]
    renderer = Renderer(layout, target)

    for label in layout.labels:
        sheets[label.sheet].write_string(label.row, label.col, label.text, styles[label.style])
    for block in track_cells(program.blocks.values(), "writing", progress):
        placement = layout.placements[block.name]
        sheet = sheets[placement.sheet]
        ids = np.arange(block.start, block.start + block.size)
        rows, cols = layout.row_of[ids], layout.col_of[ids]
        if block.kind == "compute":
            cached = values[block.start : block.start + block.size]
            for r, c, expr, value in zip(rows, cols, block.exprs, cached, strict=True):
                tree = renderer.render(expr, placement.sheet)
                shown = float(value) if math.isfinite(value) else "#NUM!"
                if is_verdict(block):  # the self-check's verdict reads PASS or FAIL
                    tree, shown = verdict_formula(tree, value)
                    style_verdict(book, sheet, int(r), int(c))
                elif is_label(block):  # the predicted label is text
                    shown = label_shown(program, values)
                text = to_formula(tree)
                _check_limits(text, tree, block.name, layout.sheets[placement.sheet], r, c, target)
                sheet.write_formula(int(r), int(c), text, styles["compute"], shown)
        elif block.kind == "text":
            for r, c, v in zip(rows, cols, block.values.ravel(), strict=True):
                sheet.write_string(int(r), int(c), str(v), styles["caption"])
        else:
            cell_style = styles[block.kind]
            for r, c, v in zip(rows, cols, block.values.ravel(), strict=True):
                sheet.write_number(int(r), int(c), float(v), cell_style)
        if block.layer == PREDICTION_LAYER and block.role == SCORES:
            highlight_best(book, sheet, int(rows[0]), int(cols.min()), int(cols.max()))

    for index, sheet in enumerate(sheets):
        if layout.sheets[index].startswith("model"):
            style.shape_sheet(sheet, layout, index)
    style.heat_maps(sheets, program, layout, values)
    style.notes(sheets, program, layout)

    write_manifest(book, [_entry(b, layout) for b in program.blocks.values()])
    for port in program.inputs + program.outputs:
        book.define_name(port.name, "=" + range_text(layout, layout.placements[port.block]))
    for name, block_name in program.names.items():
        book.define_name(name, "=" + range_text(layout, layout.placements[block_name]))
    book.close()


def _entry(block, layout: Layout) -> Entry:
    """The manifest row of ``block``: where it sits and how its cells fill that rectangle."""
    placement = layout.placements[block.name]
    ids = np.arange(block.start, block.start + block.size)
    rows, cols = layout.row_of[ids] - placement.row, layout.col_of[ids] - placement.col
    return Entry(
        block.name,
        block.layer,
        block.cls,
        block.kind,
        block.role,
        block.shape,
        range_text(layout, placement),
        arrangement_of(block.shape, rows, cols, placement.cols),
    )


def _check_limits(
    text: str, tree: ast.Node, block: str, sheet: str, row, col, target: Target
) -> None:
    too_long = len(text) - 1 > target.max_formula_chars
    # Every function call opens a parenthesis, so few parentheses mean shallow nesting:
    # the walk over the tree is needed only for the rare formula that could be too deep.
    nesting = ast.depth(tree) if text.count("(") > target.max_nesting else 0
    if not too_long and nesting <= target.max_nesting:
        return
    where = f"cell {quote_sheet(sheet)}!{cell_address(ast.Cell(int(row), int(col)))} of block "
    where += f"'{block}'"
    if too_long:
        raise TargetLimitError(
            f"{where}: formula of {len(text) - 1:,} characters exceeds "
            f"{target.name}'s limit of {target.max_formula_chars:,}"
        )
    raise TargetLimitError(
        f"{where}: functions nest {nesting} deep; {target.name} allows {target.max_nesting}"
    )
