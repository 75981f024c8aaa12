"""Blocks of cells and the program that owns them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cnn2sheet.ir.expr import Expr

ZERO = -1
"""Id that stands for an implicit 0 in a tensor view (padding); it never names a real cell."""


@dataclass(eq=False)
class Block:
    """One rectangle-to-be of cells holding one tensor (or a layer's weights, or helper values).

    ``kind`` is ``"input"`` (a model input the user edits), ``"param"`` (weights as constants)
    or ``"compute"`` (formulas, one :class:`Expr` per cell). Cell ``k`` of the block, counted in
    C order over ``shape``, has the global id ``start + k``.
    """

    name: str
    layer: str
    kind: str
    shape: tuple[int, ...]
    start: int
    role: str = "output"
    exprs: list[Expr] | None = None
    values: np.ndarray | None = None
    title: str = ""
    cls: str = ""
    layers: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def ids(self) -> np.ndarray:
        """Global ids of the block's cells, shaped like the tensor."""
        return np.arange(self.start, self.start + self.size, dtype=np.int64).reshape(self.shape)

    def owns(self, cell: int) -> bool:
        return self.start <= cell < self.start + self.size


def port_name(kind: str, index: int, count: int) -> str:
    """Defined name of a model input or output: ``input``, or ``input_0``, ``input_1``..."""
    return kind if count == 1 else f"{kind}_{index}"


@dataclass(frozen=True)
class Port:
    """A model input or output: its name in the workbook contract and the block holding it."""

    name: str
    layer: str
    block: str
    shape: tuple[int, ...]


class Program:
    """All blocks of a compiled model, in an order where every block follows what it reads."""

    def __init__(self) -> None:
        self.blocks: dict[str, Block] = {}
        self.inputs: list[Port] = []
        self.outputs: list[Port] = []
        self.names: dict[str, str] = {}  # further defined names (``prediction``) → block
        self._next_id = 0

    def add(
        self,
        name: str,
        layer: str,
        kind: str,
        shape: tuple[int, ...],
        *,
        role: str = "output",
        exprs: list[Expr] | None = None,
        values: np.ndarray | None = None,
        title: str = "",
        cls: str = "",
        before: str | None = None,
    ) -> Block:
        """Create a block with fresh ids; ``before`` inserts it ahead of an existing block."""
        name = self._unique(name)
        shape = tuple(int(d) for d in shape)
        block = Block(
            name,
            layer,
            kind,
            shape,
            self._next_id,
            role=role,
            exprs=exprs,
            values=values,
            title=title,
            cls=cls,
            layers=[layer],
        )
        self._check_contents(block)
        self._next_id += block.size
        if before is None:
            self.blocks[name] = block
        else:
            items = list(self.blocks.items())
            at = [k for k, _ in items].index(before)
            items.insert(at, (name, block))
            self.blocks = dict(items)
        return block

    def remove(self, name: str) -> None:
        del self.blocks[name]

    @property
    def id_limit(self) -> int:
        """One more than the largest id ever handed out (ids of removed blocks stay unused)."""
        return self._next_id

    def owner_table(self) -> tuple[np.ndarray, list[Block]]:
        """Block starts in ascending order and the blocks, for ``searchsorted`` look-ups."""
        ordered = sorted(self.blocks.values(), key=lambda b: b.start)
        return np.array([b.start for b in ordered], dtype=np.int64), ordered

    def block_of(self, cell: int) -> Block:
        """The block that owns ``cell``."""
        starts, ordered = self.owner_table()
        block = ordered[int(np.searchsorted(starts, cell, side="right")) - 1]
        if not block.owns(cell):
            raise KeyError(f"cell id {cell} belongs to no block")
        return block

    def compute_blocks(self) -> list[Block]:
        return [b for b in self.blocks.values() if b.kind == "compute"]

    def formula_count(self) -> int:
        return sum(b.size for b in self.compute_blocks())

    def _unique(self, name: str) -> str:
        if name not in self.blocks:
            return name
        n = 2
        while f"{name}_{n}" in self.blocks:
            n += 1
        return f"{name}_{n}"

    @staticmethod
    def _check_contents(block: Block) -> None:
        if block.kind == "compute":
            if block.exprs is None or len(block.exprs) != block.size:
                got = None if block.exprs is None else len(block.exprs)
                raise ValueError(f"block {block.name!r} needs {block.size} expressions, got {got}")
        elif block.kind == "text":
            if block.values is None or block.values.size != block.size:
                raise ValueError(f"block {block.name!r} needs {block.size} texts")
            block.values = np.asarray(block.values, dtype=object).reshape(block.shape)
        elif block.kind in ("input", "param"):
            if block.values is None or block.values.size != block.size:
                raise ValueError(f"block {block.name!r} needs {block.size} values")
            block.values = np.asarray(block.values, dtype=np.float64).reshape(block.shape)
        else:
            raise ValueError(f"block {block.name!r}: unknown kind {block.kind!r}")
