"""Cell expressions of the IR.

A cell refers to other cells by *global cell id*, an ``int`` the :class:`~cnn2sheet.ir.Program`
hands out block by block, so references survive any later choice of layout. A list of cells is a
NumPy array of ids; only the layout turns them into addresses, and only the renderer into ranges.

Operators and function names are those of the spreadsheet (``+``, ``MAX``, ``EXP``...); the
dialect of a target may print them differently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


class Expr:
    """Base of every cell expression."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Const(Expr):
    """A number written into the formula itself."""

    value: float


@dataclass(frozen=True, slots=True)
class Ref(Expr):
    """The value of one other cell."""

    cell: int


@dataclass(frozen=True, slots=True, eq=False)
class Cells(Expr):
    """An ordered list of cells, as an argument of an aggregate such as ``MAX`` or ``SUM``.

    It is also the table of ``INDEX(Cells, k)``, which reads the k-th cell (1-based); there the
    cells must form one rectangle, a column of a weight block for an embedding look-up.
    """

    ids: np.ndarray

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cells) and np.array_equal(self.ids, other.ids)

    def __hash__(self) -> int:
        return hash(self.ids.tobytes())


@dataclass(frozen=True, slots=True, eq=False)
class Dot(Expr):
    """Σ xs[i]·ws[i] over two equally long lists of cells (a neuron's weighted sum)."""

    xs: np.ndarray
    ws: np.ndarray

    def __post_init__(self):
        if self.xs.shape != self.ws.shape or self.xs.ndim != 1:
            raise ValueError(
                f"Dot needs two 1-D id lists of one length, got {self.xs.shape} and {self.ws.shape}"
            )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Dot)
            and np.array_equal(self.xs, other.xs)
            and np.array_equal(self.ws, other.ws)
        )

    def __hash__(self) -> int:
        return hash((self.xs.tobytes(), self.ws.tobytes()))


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    """An infix operation: ``+ - * / ^`` or a comparison ``> < >= <= = <>``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Neg(Expr):
    """Arithmetic negation."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class Func(Expr):
    """A spreadsheet function applied to its arguments (``EXP``, ``MAX``, ``IF``...)."""

    name: str
    args: tuple[Expr, ...]


def children(expr: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of ``expr`` (not the cells it refers to)."""
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, Neg):
        return (expr.operand,)
    if isinstance(expr, Func):
        return expr.args
    return ()


def references(expr: Expr) -> list[np.ndarray]:
    """Every cell id ``expr`` reads, as a list of id arrays (with repeats)."""
    found: list[np.ndarray] = []
    single: list[int] = []  # one array for all single references, not one each
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Ref):
            single.append(node.cell)
        elif isinstance(node, Cells):
            found.append(node.ids)
        elif isinstance(node, Dot):
            found.extend((node.xs, node.ws))
        else:
            stack.extend(children(node))
    if single:
        found.append(np.array(single, dtype=np.int64))
    return found


def rebuild(expr: Expr, leaf: Callable[[Expr], Expr]) -> Expr:
    """``expr`` with every leaf (Const, Ref, Cells, Dot) replaced by ``leaf(node)``."""
    if isinstance(expr, Binary):
        return Binary(expr.op, rebuild(expr.left, leaf), rebuild(expr.right, leaf))
    if isinstance(expr, Neg):
        return Neg(rebuild(expr.operand, leaf))
    if isinstance(expr, Func):
        return Func(expr.name, tuple(rebuild(a, leaf) for a in expr.args))
    return leaf(expr)


def substitute(expr: Expr, cell: int, replacement: Expr) -> Expr:
    """``expr`` with every ``Ref(cell)`` replaced by ``replacement``."""
    return rebuild(
        expr, lambda node: replacement if isinstance(node, Ref) and node.cell == cell else node
    )
