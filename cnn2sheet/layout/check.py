"""Where the self-check's blocks sit: a sheet of their own, summary first.

::

    Self-check: …                                          ← heading
    verdict   largest |live − Keras|   rtol   atol          ← captions
    PASS      3.1E-08                  1E-04  1E-04
    PASS when every output cell …                          ← the rule, in words

    output → 10                                            ← one section per model output
    Keras output   live output   |live − Keras|   excess over tolerance
    ▦▦▦▦▦▦▦▦▦▦    ▦▦▦▦▦▦▦▦▦▦   ▦▦▦▦▦▦▦▦▦▦      ▦▦▦▦▦▦▦▦▦▦

    The sample this workbook holds …                       ← heading
    sample in input (image)                                ← a caption per model input
    ▦▦▦▦▦▦▦▦

Every block is laid row by row in C order, like the model's inputs and outputs.
"""

from __future__ import annotations

from cnn2sheet.backend.check_sheet import (
    CHECK_LAYER,
    CHECK_SHEET,
    EXPECTED,
    PER_OUTPUT,
    SAMPLE,
    SUMMARY,
)
from cnn2sheet.errors import TargetLimitError
from cnn2sheet.ir import Block
from cnn2sheet.layout import arrange
from cnn2sheet.layout.arrange import GAP
from cnn2sheet.layout.placement import Label, Layout
from cnn2sheet.targets import Target

__all__ = ["CHECK_LAYER", "place_check"]

HEADING = "Self-check: the outputs this workbook computes, next to Keras's for the same sample"
SAMPLE_HEADING = "The sample this workbook holds (a copy of its input cells when compiled)"
RULE = (
    "PASS when every output cell has |live − Keras| ≤ max(atol, rtol·|Keras|). "
    "Change an input or a weight and, once recalculated, it reads FAIL."
)


def place_check(layout: Layout, blocks: list[Block], target: Target) -> None:
    """Put the check ``blocks`` on a new sheet named ``Check``."""
    layout.sheets.append(CHECK_SHEET)
    sheet = len(layout.sheets) - 1
    by_role: dict[str, list[Block]] = {}
    for block in blocks:
        by_role.setdefault(block.role, []).append(block)

    layout.labels.append(Label(sheet, 0, 0, HEADING, "heading"))
    row = _band(layout, [by_role[r][0] for r in SUMMARY], sheet, 1, target)
    layout.labels.append(Label(sheet, row, 0, RULE))
    row += 1 + GAP

    for group in zip(*(by_role[r] for r in PER_OUTPUT), strict=True):
        expected = group[PER_OUTPUT.index(EXPECTED)]
        heading = expected.title.removeprefix("Keras ") + " → " + _shape(expected)
        layout.labels.append(Label(sheet, row, 0, heading, "heading"))
        row = _band(layout, list(group), sheet, row + 1, target) + GAP
    samples = by_role.get(SAMPLE, [])
    if samples:
        layout.labels.append(Label(sheet, row, 0, SAMPLE_HEADING, "heading"))
        _band(layout, samples, sheet, row + 1, target)


def _band(layout: Layout, blocks: list[Block], sheet: int, row: int, target: Target) -> int:
    """Captions at ``row``, the blocks side by side below them; returns the next free row."""
    col, bottom = 0, row + 1
    for block in blocks:
        shape = arrange.interleaved(block.shape, target.max_cols)
        if col + shape.width > target.max_cols:
            raise TargetLimitError(
                f"self-check block '{block.name}' needs columns up to {col + shape.width:,}; "
                f"target '{target.name}' allows {target.max_cols:,}"
            )
        layout.labels.append(Label(sheet, row, col, block.title or block.name))
        layout.place(block, sheet, row + 1, col, shape)
        col += max(shape.width, 1) + GAP
        bottom = max(bottom, row + 1 + shape.height)
    return bottom


def _shape(block: Block) -> str:
    return "×".join(str(d) for d in block.shape) or "1"
