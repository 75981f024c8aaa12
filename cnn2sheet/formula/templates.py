"""Parse many formulas fast by sharing one parse among formulas of the same shape.

A workbook's formulas mostly differ only in their cell references and numbers: every neuron of
a layer is ``=MAX(0,SUMPRODUCT(A3:C5,F3:H5)+J3)`` with other addresses. :class:`TemplateParser`
cuts each formula into its references and numbers (the slots) and the rest (the shape), parses
a shape once with the grammar, with a sentinel in every slot, and fills a copy of that tree with
each formula's own slots::

    =MAX(0,SUMPRODUCT(A3:C5,F3:H5)+J3)  →  shape MAX(#,SUMPRODUCT(#:#,#:#)+#), 5 slots

The result always equals :func:`cnn2sheet.formula.parser.parse` of the text: a formula whose
slots cannot be matched one to one with the sentinels of its shape's tree is parsed in full.
"""

from __future__ import annotations

import functools
import re

from cnn2sheet.formula import ast
from cnn2sheet.formula.parser import column_index, parse

_NOT_BEFORE = r"(?<![\w.$\\:!])"  # a slot never starts inside a name, number or range
_NOT_AFTER = r"(?![\w.(!:$])"  # nor runs on into one, or is a function name or sheet prefix
_CELL_TEXT = r"\$?[A-Za-z]{1,3}\$?[1-9][0-9]*"
_TOKENS = re.compile(
    rf"""(?P<ref>{_NOT_BEFORE}
            (?P<sheet>(?:'(?:[^']|'')+'|[A-Za-z_\u00C0-\uFFFF][\w.]*)!)?
            (?P<start>{_CELL_TEXT})(?::(?P<end>{_CELL_TEXT}))?{_NOT_AFTER})
       |(?P<verbatim>"(?:[^"]|"")*"|'(?:[^']|'')+'!)
       |(?P<number>{_NOT_BEFORE}(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?{_NOT_AFTER})
    """,
    re.VERBOSE,
)
_CELL = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]+)")

# What stands in a shape for each kind of slot: values no formula is expected to hold verbatim.
_SENTINEL_CELL = "XFD1048576"
_SENTINEL_NUMBER = "9.5367431640625E-07"  # 2**-20, exactly representable
_CELL_NODE = ast.Cell(1_048_575, 16_383)
_NUMBER_VALUE = 2.0**-20
# Texts that would confuse the shapes (they hold a sentinel or a slot marker) are parsed whole.
_UNSHARED = re.compile(f"[\x01-\x03]|{_SENTINEL_CELL}|{re.escape(_SENTINEL_NUMBER)}")
_STAND_IN = {"cell": _SENTINEL_CELL, "range": f"{_SENTINEL_CELL}:{_SENTINEL_CELL}"}


class TemplateParser:
    """``parse`` with a memory of the shapes it has seen (up to ``capacity`` of them)."""

    def __init__(self, capacity: int = 20_000):
        self.capacity = capacity
        self.shapes: dict[str, ast.Node | None] = {}  # None: the shape cannot be shared

    def parse(self, text: str) -> ast.Node:
        """The syntax tree of ``text``, identical to :func:`parse`'s."""
        cut = self.split(text)
        template = None if cut is None else self.template(*cut)
        if template is None:
            return parse(text)  # also raises the syntax error with the original's columns
        return _fill(template, iter(cut[1]))

    def split(self, text: str) -> tuple[str, list] | None:
        """The shape of ``text`` and its slots, or None when the text must be parsed whole."""
        if _UNSHARED.search(text):
            return None
        return _cut(text)

    def template(self, shape: str, slots: list) -> ast.Node | None:
        """The tree of ``shape`` with sentinels in its slots; None if the shape is not shared."""
        if shape not in self.shapes:
            if len(self.shapes) >= self.capacity:
                self.shapes.clear()
            self.shapes[shape] = _template(shape, len(slots))
        return self.shapes[shape]


def _cut(text: str) -> tuple[str, list]:
    """The shape of ``text`` (slots marked by control characters) and its slots in order."""
    pieces, slots, last = [], [], 0
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "verbatim":
            continue
        pieces.append(text[last : match.start()])
        if kind == "number":
            pieces.append("\x03")
            slots.append(float(match.group()))
        else:
            sheet, start, end = match.group("sheet", "start", "end")
            pieces.append("\x01" if end is None else "\x02")
            slots.append(_reference(sheet, start, end))
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces), slots


def _template(key: str, count: int) -> ast.Node | None:
    """The parse of a shape with sentinels in its slots, or None if it cannot be shared."""
    text = (
        key.replace("\x01", _STAND_IN["cell"])
        .replace("\x02", _STAND_IN["range"])
        .replace("\x03", _SENTINEL_NUMBER)
    )
    try:
        tree = parse(text)
    except Exception:  # noqa: BLE001 - the caller parses the original, which reports it
        return None
    sentinels = sum(_is_slot(node) for node in ast.walk(tree) if not isinstance(node, ast.Range))
    ranges = sum(isinstance(n, ast.Range) and _is_slot(n) for n in ast.walk(tree))
    # A range's two sentinel cells are one slot; anything else must match the slots one to one.
    return tree if sentinels + ranges == count else None


def _is_slot(node: ast.Node) -> bool:
    if isinstance(node, ast.Cell):
        return node == _CELL_NODE
    if isinstance(node, ast.Range):
        return node.start == _CELL_NODE and node.end == _CELL_NODE and node.sheet is None
    if isinstance(node, ast.Number):
        return abs(node.value) == _NUMBER_VALUE
    return False


def _fill(template: ast.Node, slots) -> ast.Node:
    """A copy of ``template`` with each sentinel replaced by the next slot, in text order.

    The walk keeps its own stack: a formula may chain more operators than Python may recurse.
    """
    built: list[ast.Node] = []
    stack: list[tuple[ast.Node, bool]] = [(template, False)]
    while stack:
        node, parts_done = stack.pop()
        parts = ast.operands(node)
        if parts is None:
            built.append(_slot(node, slots))
        elif parts_done:
            count = len(parts)
            filled = built[len(built) - count :]
            del built[len(built) - count :]
            built.append(_rebuild(node, filled))
        else:
            stack.append((node, True))
            stack.extend((part, False) for part in reversed(parts))
    return built[0]


def _slot(node: ast.Node, slots) -> ast.Node:
    """A leaf of the template: a sentinel takes the next slot, anything else stays."""
    if isinstance(node, ast.Number):
        if abs(node.value) != _NUMBER_VALUE:
            return node
        value = next(slots)
        return ast.Number(-value if node.value < 0 else value)
    if isinstance(node, ast.Cell | ast.Range) and _is_slot(node):
        return next(slots)
    return node


def _rebuild(node: ast.Node, parts: list[ast.Node]) -> ast.Node:
    if isinstance(node, ast.Binary):
        return ast.Binary(node.op, parts[0], parts[1])
    if isinstance(node, ast.Unary):
        return ast.Unary(node.op, parts[0])
    if isinstance(node, ast.Percent):
        return ast.Percent(parts[0])
    if isinstance(node, ast.Call):
        return ast.Call(node.name, tuple(parts))
    rows, start = [], 0
    for row in node.rows:
        rows.append(tuple(parts[start : start + len(row)]))
        start += len(row)
    return ast.Array(tuple(rows))


@functools.lru_cache(maxsize=1 << 16)  # a workbook reads the same ranges over and over
def _reference(sheet: str | None, start: str, end: str | None) -> ast.Node:
    if sheet is not None:
        sheet = sheet[:-1]
        if sheet.startswith("'"):
            sheet = sheet[1:-1].replace("''", "'")
    if end is None:
        return _cell(start, sheet)
    return ast.Range(_cell(start), _cell(end), sheet)


def _cell(text: str, sheet: str | None = None) -> ast.Cell:
    col_abs, letters, row_abs, digits = _CELL.fullmatch(text).groups()
    return ast.Cell(int(digits) - 1, column_index(letters), sheet, bool(row_abs), bool(col_abs))
