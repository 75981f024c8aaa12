"""Make the workbook pleasant to read: heat maps, number formats, cell shapes, notes.

Nothing here changes a value; every decoration is formatting or a comment.
"""

from __future__ import annotations

import math

import numpy as np

from cnn2sheet.backend.check_sheet import CHECK_LAYER
from cnn2sheet.backend.notes import describe
from cnn2sheet.ir import Program
from cnn2sheet.layout import Layout

# Diverging blue–white–red around 0 for signed values, white–red for values that are never
# negative (pixels, ReLU outputs, probabilities).
_BLUE, _WHITE, _RED = "#5A8AC6", "#FFFFFF", "#F8696B"
_COLUMN_WIDTH = 5.5  # characters: fits "-0.12" in the small font below
_ROW_HEIGHT = 30  # points: with the column width, cells come out roughly square
_NUMBER_FORMAT = "0.00"
INTERNAL = "cnn2sheet/"  # the layers cnn2sheet adds (check, prediction): no heat map


def number_formats(book) -> dict[str, object]:
    """Cell formats by block kind; inputs are shaded as the cells a user edits."""
    base = {"num_format": _NUMBER_FORMAT, "font_size": 8, "align": "center", "valign": "vcenter"}
    return {
        "input": book.add_format({**base, "border": 1, "border_color": "#BFBFBF"}),
        "param": book.add_format({**base, "font_color": "#404040"}),
        "compute": book.add_format(base),
    }


def shape_sheet(sheet, layout: Layout, index: int) -> None:
    """Roughly square cells, and the title row frozen so it stays in view."""
    used = [p for p in layout.placements.values() if p.sheet == index]
    last_col = max((p.last_col for p in used), default=0)
    sheet.set_column(0, last_col, _COLUMN_WIDTH)
    sheet.set_default_row(_ROW_HEIGHT)
    sheet.freeze_panes(1, 0)
    # Printed or exported to PDF, a layer's full width stays on one page.
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)


def heat_maps(sheets, program: Program, layout: Layout, values: np.ndarray) -> None:
    """A colour scale over every block: inputs, activations and weights alike."""
    for block in program.blocks.values():
        if block.kind == "text" or block.layer.startswith(INTERNAL):
            continue
        placement = layout.placements[block.name]
        block_values = values[block.start : block.start + block.size]
        finite = block_values[np.isfinite(block_values)]
        if not finite.size:
            continue
        box = (placement.row, placement.col, placement.last_row, placement.last_col)
        if finite.min() >= 0:
            scale = {
                "type": "2_color_scale",
                "min_type": "num",
                "min_value": 0,
                "min_color": _WHITE,
                "max_color": _RED,
            }
        else:
            bound = float(max(abs(finite.min()), abs(finite.max())))
            scale = {
                "type": "3_color_scale",
                "min_type": "num",
                "min_value": -bound,
                "mid_type": "num",
                "mid_value": 0,
                "max_type": "num",
                "max_value": bound,
                "min_color": _BLUE,
                "mid_color": _WHITE,
                "max_color": _RED,
            }
        sheets[placement.sheet].conditional_format(*box, scale)


def notes(sheets, program: Program, layout: Layout) -> None:
    """A comment on the first cell of each block saying in plain words what it holds."""
    for block in program.blocks.values():
        text = "" if block.layer == CHECK_LAYER else describe(block, program)
        if not text:
            continue
        placement = layout.placements[block.name]
        first = block.start
        row, col = int(layout.row_of[first]), int(layout.col_of[first])
        lines = max(3, math.ceil(len(text) / 40) + 1)
        sheets[placement.sheet].write_comment(
            row, col, text, {"x_scale": 2.2, "y_scale": lines / 5, "author": "cnn2sheet"}
        )
