"""Formula text → syntax tree, by the grammar in ``grammar/formula.lark`` (loaded once).

The tree is the one :mod:`cnn2sheet.formula.printer` prints, so ``parse(to_text(tree)) == tree``
for every tree the printer can be given, and the printer's text of a parsed formula parses back
to the same tree. Two normalisations make that hold: a minus in front of a non-negative number
folds into the number (``-2`` is ``Number(-2.0)``, which the printer writes as ``-2``), and
function names are upper-cased (the ``_xlfn.`` style prefixes stay lower case).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from lark import Lark, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from cnn2sheet.errors import Cnn2SheetError, FormulaSyntaxError
from cnn2sheet.formula import ast

# The grammar is a data file at the top of the source tree (the package is installed editable).
GRAMMAR = Path(__file__).resolve().parents[2] / "grammar" / "formula.lark"

_CELL = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]+)")
_PREFIX = re.compile(r"((?:_xl[a-z]+\.)*)(.*)", re.IGNORECASE | re.DOTALL)
_BOOLEANS = {"TRUE": True, "FALSE": False}

# How a syntax error names the tokens lark expected instead.
_SPELLING = {
    "RPAR": ")", "LPAR": "(", "COMMA": ",", "SEMICOLON": ";", "COLON": ":",
    "RBRACE": "}", "LBRACE": "{", "PERCENT": "%", "EQ": "=", "NE": "<>", "LE": "<=",
    "GE": ">=", "LT": "<", "GT": ">", "AMP": "&", "PLUS": "+", "MINUS": "-", "STAR": "*",
    "SLASH": "/", "CARET": "^",
}  # fmt: skip


def parse(text: str) -> ast.Node:
    """The syntax tree of ``text``, a formula with or without its leading ``=``.

    >>> parse("=-2^2") == ast.Binary("^", ast.Number(-2.0), ast.Number(2.0))
    True

    A text outside the grammar raises :class:`FormulaSyntaxError` pointing at the column.
    """
    try:
        return _parser().parse(text)
    except UnexpectedInput as exc:
        position, reason = _describe(text, exc)
        raise FormulaSyntaxError(text, position, reason) from None


def column_index(letters: str) -> int:
    """Column letters → 0-based index: A → 0, Z → 25, AA → 26 (inverse of column_letters)."""
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


@functools.cache
def _parser() -> Lark:
    if not GRAMMAR.is_file():
        raise Cnn2SheetError(
            f"the formula grammar {GRAMMAR} is missing: cnn2sheet must run from its source "
            "tree (pip install -e .), where grammar/formula.lark lives"
        )
    # LALR with the tree built during the parse: lint parses every formula of big workbooks.
    return Lark(
        GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        transformer=_Build(),
        maybe_placeholders=True,
    )


def _describe(text: str, exc: UnexpectedInput) -> tuple[int, str]:
    """Where a parse failed (0-based offset) and a short reason."""
    if isinstance(exc, UnexpectedCharacters):
        return exc.pos_in_stream, f"unexpected character {text[exc.pos_in_stream]!r}"
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        return len(text), "the formula ends too soon" + _expected(exc.expected)
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        return token.start_pos or 0, f"unexpected {token.value!r}" + _expected(exc.expected)
    return getattr(exc, "pos_in_stream", None) or 0, str(exc).splitlines()[0]


def _expected(names) -> str:
    shown = sorted(_SPELLING.get(n, n.lower()) for n in names if n != "$END")
    if not shown or len(shown) > 6:
        return ""
    return " (expected " + " or ".join(f"'{s}'" for s in shown) + ")"


def _sheet(token) -> str:
    name = token[:-1]  # without the "!"
    if name.startswith("'"):
        return name[1:-1].replace("''", "'")
    return name


def _cell(token, sheet: str | None = None) -> ast.Cell:
    col_abs, letters, row_abs, digits = _CELL.fullmatch(token).groups()
    return ast.Cell(int(digits) - 1, column_index(letters), sheet, bool(row_abs), bool(col_abs))


def _split(tokens) -> tuple[str | None, list]:
    """Separate the optional sheet prefix from the reference tokens after it."""
    if tokens[0].type == "SHEET":
        return _sheet(tokens[0]), list(tokens[1:])
    return None, list(tokens)


def _function_name(name: str) -> str:
    prefix, rest = _PREFIX.fullmatch(name).groups()
    return prefix.lower() + rest.upper()


@v_args(inline=True)
class _Build(Transformer):
    """Callbacks lark runs as it reduces each rule: they build :mod:`ast` nodes directly."""

    def start(self, *children):
        return children[-1]

    def binary(self, left, op, right):
        return ast.Binary(str(op), left, right)

    def percent(self, operand):
        return ast.Percent(operand)

    def unary(self, op, operand):
        # -2 is the number -2: the printer writes Number(-2.0) that way, so fold it back.
        if op == "-" and isinstance(operand, ast.Number) and not operand.value < 0:
            return ast.Number(-operand.value)
        return ast.Unary(str(op), operand)

    def number(self, token):
        return ast.Number(float(token))

    def string(self, token):
        return ast.String(token[1:-1].replace('""', '"'))

    def error(self, token):
        return ast.ErrorLiteral(str(token))

    def name(self, token):
        boolean = _BOOLEANS.get(token.upper())
        return ast.Name(str(token)) if boolean is None else ast.Bool(boolean)

    def cell(self, *tokens):
        sheet, (cell,) = _split(tokens)
        return _cell(cell, sheet)

    def range(self, *tokens):
        sheet, (start, end) = _split(tokens)
        return ast.Range(_cell(start), _cell(end), sheet)

    def columns(self, *tokens):
        sheet, (token,) = _split(tokens)
        first, last = token.split(":")
        return ast.Span(
            "col",
            column_index(first.lstrip("$")),
            column_index(last.lstrip("$")),
            sheet,
            first.startswith("$"),
            last.startswith("$"),
        )

    def rows(self, *tokens):
        sheet, (token,) = _split(tokens)
        first, last = token.split(":")
        return ast.Span(
            "row",
            int(first.lstrip("$")) - 1,
            int(last.lstrip("$")) - 1,
            sheet,
            first.startswith("$"),
            last.startswith("$"),
        )

    def call(self, function, *args):
        # F() has no arguments, although the grammar sees one empty argument in it.
        if len(args) == 1 and isinstance(args[0], ast.Empty):
            args = ()
        return ast.Call(_function_name(str(function)), tuple(args))

    def arg(self, expr):
        return ast.Empty() if expr is None else expr

    def array(self, *rows):
        return ast.Array(tuple(rows))

    def array_row(self, *items):
        return tuple(items)
