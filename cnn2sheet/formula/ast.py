"""Syntax tree of the spreadsheet formula language.

This is the language as text knows it: references by address, operators, function calls. The
compiler's cell IR (:mod:`cnn2sheet.ir`) is rendered into these nodes once the layout has fixed
every cell's address; the printer turns them into text and the parser turns text back into them.
Rows and columns are 0-based here; the printer adds one.
"""

from __future__ import annotations

from dataclasses import dataclass

# Binding strength of each operator, loosest first (Excel's table; Sheets agrees).
# Unary minus binds tighter than ``^``: ``-2^2`` is 4 in every engine we target.
PRECEDENCE = {
    "=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1,
    "&": 2,
    "+": 3, "-": 3,
    "*": 4, "/": 4,
    "^": 5,
    "%": 6,
    "neg": 7,
    "atom": 9,
}  # fmt: skip


class Node:
    """Base of every formula syntax node."""

    __slots__ = ()

    @property
    def precedence(self) -> int:
        return PRECEDENCE["atom"]


@dataclass(frozen=True, slots=True)
class Number(Node):
    """A numeric literal; a negative value prints as a unary minus and binds like one."""

    value: float

    @property
    def precedence(self) -> int:
        return PRECEDENCE["neg"] if self.value < 0 else PRECEDENCE["atom"]


@dataclass(frozen=True, slots=True)
class String(Node):
    """A text literal."""

    value: str


@dataclass(frozen=True, slots=True)
class Bool(Node):
    """TRUE or FALSE."""

    value: bool


@dataclass(frozen=True, slots=True)
class ErrorLiteral(Node):
    """An error value such as ``#DIV/0!``."""

    code: str


@dataclass(frozen=True, slots=True)
class Cell(Node):
    """One cell address, optionally on another sheet and optionally absolute."""

    row: int
    col: int
    sheet: str | None = None
    row_abs: bool = False
    col_abs: bool = False


@dataclass(frozen=True, slots=True)
class Range(Node):
    """A rectangle of cells from ``start`` to ``end`` (inclusive), on ``sheet`` if given."""

    start: Cell
    end: Cell
    sheet: str | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.end.row - self.start.row + 1, self.end.col - self.start.col + 1


@dataclass(frozen=True, slots=True)
class Span(Node):
    """Whole columns (``A:C``, axis ``"col"``) or whole rows (``1:3``, axis ``"row"``)."""

    axis: str
    first: int
    last: int
    sheet: str | None = None
    first_abs: bool = False
    last_abs: bool = False


@dataclass(frozen=True, slots=True)
class Array(Node):
    """An array constant such as ``{1,2;3,4}``: a tuple of rows, each a tuple of items."""

    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True, slots=True)
class Empty(Node):
    """An omitted function argument, as in ``IF(A1,,2)``."""


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A defined name, or a parameter of a custom-layer formula such as ``x``."""

    name: str


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """Prefix ``-`` or ``+``."""

    op: str
    operand: Node

    @property
    def precedence(self) -> int:
        return PRECEDENCE["neg"]


@dataclass(frozen=True, slots=True)
class Percent(Node):
    """Postfix ``%`` (divides by 100)."""

    operand: Node

    @property
    def precedence(self) -> int:
        return PRECEDENCE["%"]


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """An infix operator; every one of them is left-associative in spreadsheets."""

    op: str
    left: Node
    right: Node

    @property
    def precedence(self) -> int:
        return PRECEDENCE[self.op]


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call; ``name`` is upper case."""

    name: str
    args: tuple[Node, ...]


def depth(node: Node) -> int:
    """How deeply function calls nest in ``node`` (Excel allows 64 levels)."""
    deepest = 0
    stack = [(node, 0)]  # a loop, not recursion: a formula may hold thousands of terms
    while stack:
        current, above = stack.pop()
        level = above + 1 if isinstance(current, Call) else above
        deepest = max(deepest, level)
        stack.extend((child, level) for child in _children(current))
    return deepest


def operands(node: Node, arrays: bool = True) -> tuple[Node, ...] | None:
    """What an operator, call (or, with ``arrays``, array constant) works on; None for a leaf."""
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Unary | Percent):
        return (node.operand,)
    if arrays and isinstance(node, Array):
        return tuple(item for row in node.rows for item in row)
    return None


def _children(node: Node) -> tuple[Node, ...]:
    return operands(node) or ()


def walk(node: Node):
    """Yield ``node`` and every node below it, parents first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))
