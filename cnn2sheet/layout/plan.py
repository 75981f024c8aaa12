"""plan_layout: place every block on a sheet, layer by layer in model order.

One sheet, ``model``, reads top to bottom like the network; each layer is a section::

    conv1 (Conv2D) → 8×8×8                         ← heading
    conv1 (Conv2D): relu       conv1 kernel  …      ← captions
    ▦▦▦ ▦▦▦ ▦▦▦ (a grid/channel) ▦▦ ▦▦ (filters)    ← cells

The ``readable`` layout shows images as one grid per channel; the ``compact`` one interleaves
channels along the columns (fewer, shorter ranges). Either way a weight block is arranged unit
by unit like the input it multiplies (see :mod:`cnn2sheet.layout.arrange`), so every neuron's
weighted sum is few SUMPRODUCTs of congruent rectangles. Model inputs and outputs are always
interleaved: the workbook contract reads them row by row in C order. A sheet that would run out
of rows continues on ``model (2)``.
"""

from __future__ import annotations

import logging

from cnn2sheet.errors import OptionError, TargetLimitError
from cnn2sheet.ir import Block, Dot, Program
from cnn2sheet.ir.expr import children
from cnn2sheet.layout import arrange
from cnn2sheet.layout.arrange import GAP, Arrangement
from cnn2sheet.layout.check import CHECK_LAYER, place_check
from cnn2sheet.layout.placement import Label, Layout
from cnn2sheet.targets import Target

log = logging.getLogger(__name__)

LAYOUTS = ("readable", "compact")
TITLE = (
    "Edit the bordered input cells, or any weight: every formula recalculates, down to "
    "the prediction. Select a cell to read its formula; notes explain each layer."
)


def check_mode(mode: str) -> str:
    """``mode`` if it names a layout, else an :class:`OptionError` listing the layouts."""
    if mode not in LAYOUTS:
        raise OptionError(f"layout '{mode}' is not known (choose from {', '.join(LAYOUTS)})")
    return mode


def plan_layout(program: Program, target: Target, mode: str = "readable") -> Layout:
    """Place every block of ``program`` for ``target`` in the ``readable`` or ``compact`` way."""
    readable = check_mode(mode) == "readable"
    ports = {p.block for p in program.inputs + program.outputs}
    units = _unit_shapes(program)
    layout = Layout(sheets=["model"], id_limit=program.id_limit)
    layout.labels.append(Label(0, 0, 0, TITLE, "title"))

    row = 2  # below the title row, which stays frozen in view
    for layer, blocks in _sections(program):
        if layer == CHECK_LAYER:  # the self-check has a sheet of its own, after the model
            place_check(layout, blocks, target)
            continue
        # The layer's own cells first, then its weights to the right.
        ordered = [b for b in blocks if b.kind != "param"] + [
            b for b in blocks if b.kind == "param"
        ]
        shapes = [(b, _arrangement(b, b.name in ports, units, readable, target)) for b in ordered]
        height = 2 + max(a.height for _, a in shapes)
        sheet, row = _room(layout, row, height, target)
        layout.labels.append(Label(sheet, row, 0, _heading(layer, blocks), "heading"))
        col = 0
        for block, arrangement in shapes:
            col = _put(layout, block, arrangement, sheet, row + 1, col, target)
        row += height + GAP

    log.debug(
        "%s layout: %d blocks on %d sheet(s)", mode, len(layout.placements), len(layout.sheets)
    )
    return layout


def _arrangement(
    block: Block, port: bool, units: dict[str, tuple[int, ...]], readable: bool, target: Target
) -> Arrangement:
    if block.kind != "param" or len(block.shape) < 2:
        if port:
            return arrange.interleaved(block.shape, target.max_cols)
        return arrange.tensor(block.shape, readable, target.max_cols)
    unit = units.get(block.name, block.shape[1:])
    return arrange.stacked(arrange.tensor(unit, readable, target.max_cols), block.shape[0])


def _unit_shapes(program: Program) -> dict[str, tuple[int, ...]]:
    """Weight blocks whose units multiply a whole tensor: each unit takes that tensor's shape.

    A Dense kernel after a Flatten is stored (units, n); its unit is shown like the image it
    weighs, so unit and image line up range for range.
    """
    starts, ordered = program.owner_table()
    shapes: dict[str, tuple[int, ...]] = {}
    for block in program.compute_blocks():
        for expr in block.exprs[:1]:
            for dot in _dots(expr):
                if not dot.ws.size or not dot.xs.size:
                    continue
                weights = ordered[int(starts.searchsorted(dot.ws[0], side="right")) - 1]
                source = ordered[int(starts.searchsorted(dot.xs[0], side="right")) - 1]
                whole = source.size == dot.xs.size and (dot.xs == source.ids.ravel()).all()
                if (
                    weights.kind == "param"
                    and len(weights.shape) == 2
                    and whole
                    and weights.shape[1] == source.size
                ):
                    shapes[weights.name] = source.shape
    return shapes


def _dots(expr):
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Dot):
            yield node
        stack.extend(children(node))


def _sections(program: Program) -> list[tuple[str, list[Block]]]:
    sections: dict[str, list[Block]] = {}
    for block in program.blocks.values():
        sections.setdefault(block.layer, []).append(block)
    return list(sections.items())


def _heading(layer: str, blocks: list[Block]) -> str:
    main = next((b for b in reversed(blocks) if b.role in ("output", "input")), blocks[-1])
    shape = "×".join(str(d) for d in main.shape) or "1"
    kind = main.cls or "layer"
    return f"{layer} ({kind}) → {shape}"


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
    layout: Layout,
    block: Block,
    arrangement: Arrangement,
    sheet: int,
    row: int,
    col: int,
    target: Target,
) -> int:
    """Caption at ``row``, cells below it from ``col``; returns the next free column."""
    if col + arrangement.width > target.max_cols:
        raise TargetLimitError(
            f"block '{block.name}' needs columns up to {col + arrangement.width:,}; target "
            f"'{target.name}' allows {target.max_cols:,}"
        )
    layout.labels.append(Label(sheet, row, col, block.title or block.name))
    layout.place(block, sheet, row + 1, col, arrangement)
    return col + max(arrangement.width, 1) + GAP
