"""Formula syntax tree → formula text, with parentheses decided by precedence alone."""

from __future__ import annotations

import functools
import re

from cnn2sheet.formula import ast
from cnn2sheet.formula.numbers import format_number

_BARE_SHEET = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_LOOKS_LIKE_CELL = re.compile(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*")


@functools.lru_cache(maxsize=20_000)  # a workbook has at most 16,384 columns
def column_letters(col: int) -> str:
    """0-based column index → letters: 0 → A, 25 → Z, 26 → AA."""
    if col < 0:
        raise ValueError(f"column index {col} is negative")
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def quote_sheet(sheet: str) -> str:
    """A sheet name as a reference prefix needs it: bare when safe, else single-quoted."""
    if _BARE_SHEET.fullmatch(sheet) and not _LOOKS_LIKE_CELL.fullmatch(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def cell_address(cell: ast.Cell, with_sheet: bool = True) -> str:
    """``A1``-style text of one cell, with ``$`` where absolute and the sheet prefix if any."""
    text = (
        ("$" if cell.col_abs else "")
        + column_letters(cell.col)
        + ("$" if cell.row_abs else "")
        + str(cell.row + 1)
    )
    if with_sheet and cell.sheet is not None:
        return quote_sheet(cell.sheet) + "!" + text
    return text


def to_text(node: ast.Node) -> str:
    """Formula text of ``node`` without the leading ``=``."""
    return _print(node)


def to_formula(node: ast.Node) -> str:
    """Formula text of ``node`` as a cell holds it, with the leading ``=``."""
    return "=" + _print(node)


def _print(node: ast.Node) -> str:
    printer = _PRINTERS.get(type(node))
    if printer is None:
        raise TypeError(f"cannot print formula node {node!r}")
    return printer(node)


def _wrap(child: ast.Node, parent_precedence: int, strict: bool) -> str:
    """Print ``child``, parenthesised if it binds looser than its parent needs."""
    text = _print(child)
    weaker = child.precedence < parent_precedence
    tie = strict and child.precedence == parent_precedence
    return f"({text})" if weaker or tie else text


def _binary(node: ast.Binary) -> str:
    # Left-associative: a tie on the right needs parentheses, a tie on the left does not.
    # A long sum is a left-deep chain; walk its spine in a loop so thousands of terms cannot
    # exhaust Python's recursion limit.
    tails: list[str] = []
    while isinstance(node.left, ast.Binary) and node.left.precedence == node.precedence:
        tails.append(node.op + _wrap(node.right, node.precedence, strict=True))
        node = node.left
    head = _wrap(node.left, node.precedence, strict=False)
    head += node.op + _wrap(node.right, node.precedence, strict=True)
    return head + "".join(reversed(tails))


def _range(node: ast.Range) -> str:
    prefix = quote_sheet(node.sheet) + "!" if node.sheet is not None else ""
    start = cell_address(node.start, with_sheet=False)
    end = cell_address(node.end, with_sheet=False)
    return f"{prefix}{start}:{end}"


def _span(node: ast.Span) -> str:
    prefix = quote_sheet(node.sheet) + "!" if node.sheet is not None else ""
    if node.axis == "col":
        first, last = column_letters(node.first), column_letters(node.last)
    else:
        first, last = str(node.first + 1), str(node.last + 1)
    return f"{prefix}{'$' * node.first_abs}{first}:{'$' * node.last_abs}{last}"


def _array(node: ast.Array) -> str:
    return "{" + ";".join(",".join(_print(item) for item in row) for row in node.rows) + "}"


def _string(node: ast.String) -> str:
    return '"' + node.value.replace('"', '""') + '"'


_PRINTERS = {
    ast.Number: lambda n: format_number(n.value),
    ast.String: _string,
    ast.Bool: lambda n: "TRUE" if n.value else "FALSE",
    ast.ErrorLiteral: lambda n: n.code,
    ast.Cell: cell_address,
    ast.Range: _range,
    ast.Span: _span,
    ast.Array: _array,
    ast.Empty: lambda n: "",
    ast.Name: lambda n: n.name,
    ast.Unary: lambda n: n.op + _wrap(n.operand, n.precedence, strict=False),
    ast.Percent: lambda n: _wrap(n.operand, n.precedence, strict=False) + "%",
    ast.Binary: _binary,
    ast.Call: lambda n: n.name + "(" + ",".join(_print(a) for a in n.args) + ")",
}
