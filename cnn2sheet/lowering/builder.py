"""What a layer's lowering uses to add blocks of cells to the program."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cnn2sheet.frontend.graph import Op
from cnn2sheet.ir import Block, Expr, Program
from cnn2sheet.ir.program import ZERO


class Builder:
    """Adds the blocks of one layer application; names them ``layer`` and ``layer/role``."""

    def __init__(self, program: Program, op: Op):
        self.program = program
        self.op = op
        self.layer = op.name
        self.title = f"{op.name} ({op.cls})"

    def param(self, role: str, values: np.ndarray) -> np.ndarray:
        """A block of weights held as constants; returns its ids shaped like ``values``."""
        values = np.asarray(values, dtype=np.float64)
        block = self.program.add(
            f"{self.layer}/{role}",
            self.layer,
            "param",
            values.shape,
            role=role,
            values=values,
            title=f"{self.layer} {role}",
            cls=self.op.cls,
        )
        return block.ids

    def compute(
        self,
        shape: tuple[int, ...],
        exprs: Iterable[Expr],
        role: str = "output",
        title: str | None = None,
    ) -> np.ndarray:
        """A block of formulas, one expression per cell in C order; returns its ids."""
        name = self.layer if role == "output" else f"{self.layer}/{role}"
        block = self.program.add(
            name,
            self.layer,
            "compute",
            shape,
            role=role,
            exprs=list(exprs),
            title=title or self._title(role),
            cls=self.op.cls,
        )
        return block.ids

    def block(self, ids: np.ndarray) -> Block:
        """The block whose cells ``ids`` are (all of them, none implicit zeros)."""
        return self.program.block_of(int(ids.flat[0]))

    def _title(self, role: str) -> str:
        return self.title if role == "output" else f"{self.title}: {role}"


def real(ids: np.ndarray) -> np.ndarray:
    """``ids`` without the implicit zeros of padding."""
    return ids[ids != ZERO]
