"""Where blocks sit: a placement per block and fast id → address look-ups."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnn2sheet.ir import Block


@dataclass(frozen=True)
class Placement:
    """A block laid row by row from ``(row, col)``: cell ``k`` goes to ``divmod(k, cols)``."""

    sheet: int
    row: int
    col: int
    cols: int
    rows: int

    @property
    def last_row(self) -> int:
        return self.row + self.rows - 1

    @property
    def last_col(self) -> int:
        return self.col + self.cols - 1


@dataclass(frozen=True)
class Label:
    """Text written into the sheet for a reader: a layer heading or a block caption."""

    sheet: int
    row: int
    col: int
    text: str
    style: str = "caption"


@dataclass
class Layout:
    """Sheets, placements by block name, labels, and each cell id's (sheet, row, col)."""

    sheets: list[str]
    id_limit: int
    placements: dict[str, Placement] = field(default_factory=dict)
    labels: list[Label] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sheet_of = np.full(self.id_limit, -1, dtype=np.int32)
        self.row_of = np.full(self.id_limit, -1, dtype=np.int64)
        self.col_of = np.full(self.id_limit, -1, dtype=np.int64)

    def place(self, block: Block, placement: Placement) -> None:
        """Record ``placement`` for ``block`` and the address of each of its cells."""
        self.placements[block.name] = placement
        k = np.arange(block.size)
        ids = block.start + k
        self.sheet_of[ids] = placement.sheet
        self.row_of[ids] = placement.row + k // placement.cols
        self.col_of[ids] = placement.col + k % placement.cols

    def coords(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sheet, row, col) arrays of the cells ``ids``."""
        return self.sheet_of[ids], self.row_of[ids], self.col_of[ids]
