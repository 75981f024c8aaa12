"""The reference workbook: 1,000 ``=MAX(0,SUMPRODUCT(window,weights))`` cells, nothing else.

Each cell reads one 5×5 window of a 28×28 input and one 5×5 weight block, like the first
convolution of LeNet-5; the issue's target compares the ``formulas`` proof of LeNet-5 with the
proof of this workbook, measured in the same run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xlsxwriter

SIZE, KERNEL, CELLS = 28, 5, 1000
FILTERS = 2  # 2 filters × 24×24 windows = 1,152 ≥ 1,000 cells
OUT_ROWS, OUT_COLS = 40, 25  # the 1,000 outputs as one rectangle, so one defined name
WEIGHT_ROW = SIZE + 1
OUT_ROW = WEIGHT_ROW + KERNEL + 1


def _address(row: int, col: int) -> str:
    return xlsxwriter.utility.xl_rowcol_to_cell(row, col)


def _range(row: int, col: int, height: int, width: int) -> str:
    return f"{_address(row, col)}:{_address(row + height - 1, col + width - 1)}"


def write_baseline(path: Path, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Write the baseline workbook to ``path``; return its input image and its 1,000 outputs."""
    rng = np.random.default_rng(seed)
    image = rng.uniform(0.0, 1.0, (SIZE, SIZE))
    weights = rng.uniform(-0.5, 0.5, (FILTERS, KERNEL, KERNEL))
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("model")

    for r in range(SIZE):
        for c in range(SIZE):
            sheet.write_number(r, c, float(image[r, c]))
    for f in range(FILTERS):
        for r in range(KERNEL):
            for c in range(KERNEL):
                sheet.write_number(WEIGHT_ROW + r, f * (KERNEL + 1) + c, float(weights[f, r, c]))

    out = SIZE - KERNEL + 1
    expected = np.empty(CELLS)
    for k in range(CELLS):
        f, r, c = k // (out * out), k // out % out, k % out
        window = _range(r, c, KERNEL, KERNEL)
        block = _range(WEIGHT_ROW, f * (KERNEL + 1), KERNEL, KERNEL)
        value = max(0.0, float((image[r : r + KERNEL, c : c + KERNEL] * weights[f]).sum()))
        expected[k] = value
        formula = f"=MAX(0,SUMPRODUCT({window},{block}))"
        sheet.write_formula(OUT_ROW + k // OUT_COLS, k % OUT_COLS, formula, None, value)

    book.define_name("input", f"=model!{_absolute(0, 0, SIZE, SIZE)}")
    book.define_name("output", f"=model!{_absolute(OUT_ROW, 0, OUT_ROWS, OUT_COLS)}")
    book.close()
    return image, expected


def _absolute(row: int, col: int, height: int, width: int) -> str:
    first = xlsxwriter.utility.xl_rowcol_to_cell(row, col, True, True)
    last = xlsxwriter.utility.xl_rowcol_to_cell(row + height - 1, col + width - 1, True, True)
    return f"{first}:{last}"
