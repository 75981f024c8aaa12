"""Where blocks sit: a placement per block and fast id → address look-ups."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnn2sheet.ir import Block
from cnn2sheet.layout.arrange import Arrangement


@dataclass(frozen=True)
class Placement:
    """A block's bounding box; ``filled`` when its cells fill it row by row in C order."""

    sheet: int
    row: int
    col: int
    cols: int
    rows: int
    filled: bool = True

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
    """Sheets, placements by block name, labels, and each cell id's sheet, row, column, region."""

    sheets: list[str]
    id_limit: int
    placements: dict[str, Placement] = field(default_factory=dict)
    labels: list[Label] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sheet_of = np.full(self.id_limit, -1, dtype=np.int32)
        self.row_of = np.full(self.id_limit, -1, dtype=np.int64)
        self.col_of = np.full(self.id_limit, -1, dtype=np.int64)
        self.region_of = np.full(self.id_limit, -1, dtype=np.int64)
        self._regions = 0

    def place(
        self, block: Block, sheet: int, row: int, col: int, arrangement: Arrangement
    ) -> Placement:
        """Put ``block`` with its top-left corner at ``(row, col)`` of ``sheet``."""
        placement = Placement(
            sheet, row, col, arrangement.width, arrangement.height, arrangement.filled
        )
        self.placements[block.name] = placement
        ids = np.arange(block.start, block.start + block.size)
        self.sheet_of[ids] = sheet
        self.row_of[ids] = row + arrangement.rows
        self.col_of[ids] = col + arrangement.cols
        # Regions are numbered across the workbook so two grids never share a number.
        self.region_of[ids] = self._regions + arrangement.regions
        self._regions += int(arrangement.regions.max(initial=0)) + 1
        return placement

    def coords(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sheet, row, col) arrays of the cells ``ids``."""
        return self.sheet_of[ids], self.row_of[ids], self.col_of[ids]

    def reading_order(self, ids: np.ndarray) -> np.ndarray:
        """Permutation of ``ids`` grid by grid, then row by row: how ranges line up."""
        return np.lexsort(
            (self.col_of[ids], self.row_of[ids], self.region_of[ids], self.sheet_of[ids])
        )
