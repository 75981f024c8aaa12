"""The readable layout: layers top to bottom in model order, weights beside their layer.

One sheet, ``model``, reads like the network::

    conv1 (Conv2D) → 8×8×8                     ← heading row
    conv1 (Conv2D)          conv1 kernel  …     ← captions
    ▦▦▦▦▦▦▦▦ (8 rows)        ▦▦▦ (3 rows/filter) ← cells

Tensors of rank ≥ 2 keep their first axis as rows and interleave the rest along the columns, so
an image's window over all channels is one rectangle. Each weight block takes the row width of
the input rectangle it multiplies, which makes every neuron one SUMPRODUCT of two congruent
rectangles. A sheet that would run out of rows continues on ``model (2)``.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from cnn2sheet.errors import TargetLimitError
from cnn2sheet.ir import Block, Dot, Program
from cnn2sheet.ir.expr import children
from cnn2sheet.layout.placement import Label, Layout, Placement
from cnn2sheet.targets import Target

log = logging.getLogger(__name__)

GAP = 1  # empty rows or columns between neighbouring blocks


def readable_layout(program: Program, target: Target) -> Layout:
    """Place every block of ``program``, section by section in model order."""
    layout = Layout(sheets=["model"], id_limit=program.id_limit)
    partners = _weight_partners(program)
    row = 0
    for layer, blocks in _sections(program):
        computes = [b for b in blocks if b.kind != "param"]
        params = [b for b in blocks if b.kind == "param"]
        # Place the layer's own cells first: weights fold to the rectangles they multiply.
        shapes = [(b, _fold(b, target)) for b in computes]
        needed_rows = 2 + max((math.ceil(b.size / c) for b, c in shapes), default=0)
        sheet, row = _room(layout, row, needed_rows, target)
        layout.labels.append(Label(sheet, row, 0, _heading(program, layer, blocks), "heading"))
        col = 0
        for block, cols in shapes:
            col = _put(layout, block, cols, sheet, row + 1, col, target)
        for block in params:
            cols = partners.get(block.name) and _partner_width(layout, *partners[block.name])
            col = _put(layout, block, cols or _fold(block, target), sheet, row + 1, col, target)
        row = (
            max((p.last_row for p in layout.placements.values() if p.sheet == sheet), default=row)
            + 1
            + GAP
        )
    log.debug(
        "readable layout: %d blocks on %d sheet(s)", len(layout.placements), len(layout.sheets)
    )
    return layout


def _sections(program: Program) -> list[tuple[str, list[Block]]]:
    sections: dict[str, list[Block]] = {}
    for block in program.blocks.values():
        sections.setdefault(block.layer, []).append(block)
    return list(sections.items())


def _heading(program: Program, layer: str, blocks: list[Block]) -> str:
    main = next((b for b in blocks if b.role in ("output", "input")), blocks[0])
    shape = "×".join(str(d) for d in main.shape) or "1"
    return f"{main.title or layer} → {shape}"


def _room(layout: Layout, row: int, needed: int, target: Target) -> tuple[int, int]:
    """The sheet and row where a section of ``needed`` rows starts."""
    if needed > target.max_rows:
        raise TargetLimitError(
            f"a layer needs {needed:,} rows; target '{target.name}' allows "
            f"{target.max_rows:,} per sheet"
        )
    if row + needed > target.max_rows:
        layout.sheets.append(f"model ({len(layout.sheets) + 1})")
        row = 0
    return len(layout.sheets) - 1, row


def _put(
    layout: Layout, block: Block, cols: int, sheet: int, row: int, col: int, target: Target
) -> int:
    """Caption at ``row``, cells below it from ``col``; returns the next free column."""
    rows = math.ceil(block.size / cols)
    if col + cols > target.max_cols:
        raise TargetLimitError(
            f"block '{block.name}' needs columns up to {col + cols:,}; target '{target.name}' "
            f"allows {target.max_cols:,}"
        )
    layout.labels.append(Label(sheet, row, col, block.title or block.name))
    layout.place(block, Placement(sheet, row + 1, col, cols, rows))
    return col + max(cols, 1) + GAP


def _fold(block: Block, target: Target) -> int:
    """Row width of a block: its trailing axes after the first, as many as the target allows."""
    shape = block.shape
    if not shape:
        return 1
    widths = [shape[0]] if len(shape) == 1 else [math.prod(shape[k:]) for k in range(1, len(shape))]
    for width in widths:
        if width <= target.max_cols:
            return max(width, 1)
    # A long vector: the widest row that still fills a rectangle exactly.
    n = block.size
    return max(d for d in range(1, target.max_cols + 1) if n % d == 0)


def _weight_partners(program: Program) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each weight block, the longest weighted sum using it: (input ids, weight ids)."""
    starts, ordered = program.owner_table()
    best: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for block in program.compute_blocks():
        for expr in block.exprs:
            for dot in _dots(expr):
                if not dot.ws.size:
                    continue
                owner = ordered[int(np.searchsorted(starts, dot.ws[0], side="right")) - 1]
                if owner.kind == "param" and (
                    owner.name not in best or best[owner.name][0].size < dot.xs.size
                ):
                    best[owner.name] = (dot.xs, dot.ws)
    return best


def _dots(expr):
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Dot):
            yield node
        stack.extend(children(node))


def _partner_width(layout: Layout, xs: np.ndarray, ws: np.ndarray) -> int | None:
    """Width of the first row of the rectangle ``xs`` covers, if the weights run along it."""
    sheet, row, col = layout.coords(xs)
    if (sheet < 0).any():
        return None
    same_row = (sheet[1:] == sheet[:-1]) & (row[1:] == row[:-1]) & (col[1:] == col[:-1] + 1)
    consecutive = ws[1:] == ws[:-1] + 1
    breaks = np.flatnonzero(~(same_row & consecutive))
    return int(breaks[0]) + 1 if breaks.size else int(xs.size)
