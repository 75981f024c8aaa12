"""Hypothesis strategies for formula syntax trees the printer can print and the parser read."""

from __future__ import annotations

import re

from hypothesis import strategies as st

from cnn2sheet.formula import ast

_SHEET_CHARS = st.characters(blacklist_characters="[]:*?/\\", blacklist_categories=("Cs",))
sheets = (
    st.none()
    | st.sampled_from(["model", "model (2)", "it's", "A1", "x.y", "TRUE"])
    | (st.text(_SHEET_CHARS, min_size=1, max_size=31))
)
numbers = st.floats(allow_nan=False, allow_infinity=False).map(ast.Number)
cells = st.builds(
    ast.Cell,
    st.integers(0, 1_048_575),
    st.integers(0, 18_277),
    sheets,
    st.booleans(),
    st.booleans(),
)
plain_cells = st.builds(
    ast.Cell, st.integers(0, 1_048_575), st.integers(0, 18_277), st.none(), st.booleans(),
    st.booleans(),
)  # fmt: skip
ranges = st.builds(ast.Range, plain_cells, plain_cells, sheets)
spans = st.one_of(
    st.builds(ast.Span, st.just("col"), st.integers(0, 18_277), st.integers(0, 18_277), sheets,
              st.booleans(), st.booleans()),
    st.builds(ast.Span, st.just("row"), st.integers(0, 1_048_575), st.integers(0, 1_048_575),
              sheets, st.booleans(), st.booleans()),
)  # fmt: skip
_CELL_LIKE = r"\$?[A-Za-z]{1,3}\$?[1-9][0-9]*"
names = (
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,8}", fullmatch=True)
    .filter(lambda n: n.upper() not in ("TRUE", "FALSE"))
    .filter(lambda n: not re.fullmatch(_CELL_LIKE, n))
    .map(ast.Name)
)
function_names = st.tuples(
    st.sampled_from(["", "_xlfn.", "_xlfn._xlws."]),
    st.from_regex(r"[A-Z][A-Z0-9.]{0,7}", fullmatch=True),
).map("".join)
literals = st.one_of(
    numbers,
    st.text(max_size=8).map(ast.String),
    st.booleans().map(ast.Bool),
    st.sampled_from(["#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"]).map(
        ast.ErrorLiteral
    ),
)
arrays = st.integers(1, 3).flatmap(
    lambda width: st.lists(st.lists(literals, min_size=width, max_size=width).map(tuple),
                           min_size=1, max_size=3).map(lambda rows: ast.Array(tuple(rows)))
)  # fmt: skip
leaves = st.one_of(literals, cells, ranges, spans, names, arrays)
OPERATORS = ["=", "<>", "<", ">", "<=", ">=", "&", "+", "-", "*", "/", "^"]


def _canonical_unary(node: ast.Unary) -> bool:
    # Unary("-", Number(v >= 0)) prints as the literal -v, which parses as Number(-v).
    return not (node.op == "-" and isinstance(node.operand, ast.Number) and node.operand.value >= 0)


def _call_args(children):
    args = st.lists(children | st.just(ast.Empty()), max_size=4).map(tuple)
    # F() is the call without arguments, never the call of one omitted argument.
    return args.filter(lambda a: a != (ast.Empty(),))


trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(ast.Unary, st.sampled_from("-+"), children).filter(_canonical_unary),
        st.builds(ast.Percent, children),
        st.builds(ast.Binary, st.sampled_from(OPERATORS), children, children),
        st.builds(ast.Call, function_names, _call_args(children)),
    ),
    max_leaves=12,
)
