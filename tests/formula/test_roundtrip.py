"""The formula printer and parser agree: exact printer output, and print → parse → same tree."""

from __future__ import annotations

import string
import struct

import keras
import openpyxl
import pytest
from formula_trees import trees
from hypothesis import given, settings
from hypothesis import strategies as st
from keras import layers
from support import FIXTURES, randomize_weights, sample_for

from cnn2sheet import compile_model
from cnn2sheet.errors import FormulaSyntaxError
from cnn2sheet.formula import ast
from cnn2sheet.formula.numbers import format_number
from cnn2sheet.formula.parser import parse
from cnn2sheet.formula.printer import to_formula, to_text

A1, B1, C1 = ast.Cell(0, 0), ast.Cell(0, 1), ast.Cell(0, 2)
TWO, THREE = ast.Number(2.0), ast.Number(3.0)

PRINTED = {
    "minus_of_power_keeps_parentheses": (ast.Unary("-", ast.Binary("^", A1, TWO)), "-(A1^2)"),
    "power_of_minus_needs_none": (ast.Binary("^", ast.Unary("-", A1), TWO), "-A1^2"),
    "negative_literal_base": (ast.Binary("^", ast.Number(-2.0), TWO), "-2^2"),
    "right_tie_parenthesised": (ast.Binary("-", A1, ast.Binary("-", B1, C1)), "A1-(B1-C1)"),
    "left_tie_bare": (ast.Binary("-", ast.Binary("-", A1, B1), C1), "A1-B1-C1"),
    "power_left_assoc": (ast.Binary("^", ast.Binary("^", TWO, THREE), TWO), "2^3^2"),
    "power_right_grouped": (ast.Binary("^", TWO, ast.Binary("^", THREE, TWO)), "2^(3^2)"),
    "product_of_sum": (ast.Binary("*", ast.Binary("+", A1, B1), C1), "(A1+B1)*C1"),
    "percent": (ast.Percent(ast.Number(50.0)), "50%"),
    "percent_of_minus": (ast.Percent(ast.Unary("-", A1)), "-A1%"),
    "minus_of_percent": (ast.Unary("-", ast.Percent(A1)), "-(A1%)"),
    "percent_of_sum": (ast.Percent(ast.Binary("+", A1, B1)), "(A1+B1)%"),
    "power_of_negative_exponent": (ast.Binary("^", TWO, ast.Number(-3.0)), "2^-3"),
    "minus_negative": (ast.Binary("-", A1, ast.Number(-2.0)), "A1--2"),
    "comparison_below_concat": (
        ast.Binary("=", ast.Binary("&", A1, ast.String('say "hi"')), B1),
        'A1&"say ""hi"""=B1',
    ),
    "concat_of_comparison": (ast.Binary("&", ast.Binary("<>", A1, B1), C1), "(A1<>B1)&C1"),
    "sum_below_concat": (ast.Binary("&", ast.Binary("+", A1, B1), C1), "A1+B1&C1"),
    "quoted_sheet_range": (
        ast.Range(ast.Cell(0, 0, row_abs=True, col_abs=True), ast.Cell(1, 1), "my sheet"),
        "'my sheet'!$A$1:B2",
    ),
    "quote_in_sheet_name": (ast.Cell(0, 0, "it's"), "'it''s'!A1"),
    "bare_sheet": (ast.Cell(9, 27, "model"), "model!AB10"),
    "sheet_that_looks_like_a_cell": (ast.Cell(0, 0, "AB1"), "'AB1'!A1"),
    "call": (
        ast.Call("SUMPRODUCT", (ast.Range(A1, ast.Cell(2, 2)), ast.Range(B1, ast.Cell(2, 3)))),
        "SUMPRODUCT(A1:C3,B1:D3)",
    ),
    "omitted_argument": (ast.Call("IF", (A1, ast.Empty(), TWO)), "IF(A1,,2)"),
    "no_arguments": (ast.Call("PI", ()), "PI()"),
    "array_constant": (
        ast.Array(((TWO, ast.Number(-1.0)), (ast.String("a"), ast.Bool(True)))),
        '{2,-1;"a",TRUE}',
    ),
    "whole_columns": (ast.Span("col", 0, 2, "model", True, False), "model!$A:C"),
    "whole_rows": (ast.Span("row", 0, 2), "1:3"),
    "error_literal": (ast.Binary("+", ast.ErrorLiteral("#DIV/0!"), A1), "#DIV/0!+A1"),
    "small_number": (ast.Binary("*", ast.Number(1e-05), ast.Name("x")), "1E-05*x"),
}


@pytest.mark.parametrize("case", sorted(PRINTED))
def test_printer_writes_exact_text(case):
    tree, expected = PRINTED[case]

    text = to_text(tree)

    assert text == expected
    assert parse(text) == tree


PARSED = {
    "leading_equals": ("=A1+1", ast.Binary("+", A1, ast.Number(1.0))),
    "unary_minus_binds_tighter_than_power": ("-2^2", ast.Binary("^", ast.Number(-2.0), TWO)),
    "double_minus": ("--2", ast.Unary("-", ast.Number(-2.0))),
    "scientific": ("1E-05+.5+2.", ast.Binary(
        "+", ast.Binary("+", ast.Number(1e-05), ast.Number(0.5)), TWO)),
    "spaces": ("SUM( A1 , B1 )", ast.Call("SUM", (A1, B1))),
    "lower_case": ("sum(a1)+true", ast.Binary("+", ast.Call("SUM", (A1,)), ast.Bool(True))),
    "xlfn_prefix": ("_xlfn.STDEV.S(A1)", ast.Call("_xlfn.STDEV.S", (A1,))),
    "function_that_looks_like_a_cell": ("LOG10(A1)", ast.Call("LOG10", (A1,))),
    "name_that_starts_like_a_cell": ("A1B+x", ast.Binary("+", ast.Name("A1B"), ast.Name("x"))),
    "string_escape": ('"a""b"', ast.String('a"b')),
    "error": ("#N/A", ast.ErrorLiteral("#N/A")),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(PARSED))
def test_parser_builds_expected_tree(case):
    text, expected = PARSED[case]

    tree = parse(text)

    assert tree == expected


@pytest.mark.parametrize(
    "text, column",
    [("=SUM(A1+)", 9), ("=SUM(A1,", 9), ("=A1 B1", 5), ("=1+@A1", 4), ("=Table1[x]", 8)],
)
def test_syntax_error_points_at_the_column(text, column):
    with pytest.raises(FormulaSyntaxError, match=f"at column {column}:") as caught:
        parse(text)

    formula_line, caret_line = str(caught.value).splitlines()[1:]
    assert formula_line.strip() == text
    assert caret_line.index("^") == formula_line.index(text) + column - 1


# -- every formula the compiler emits parses back to the tree that printed it ------------------


def _small_cnn():
    inputs = keras.Input((6, 5, 2), name="image")
    x = layers.Conv2D(2, 3, padding="same", activation="relu", name="conv")(inputs)
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Flatten(name="flat")(x)
    x = layers.Dense(4, activation="sigmoid", name="hidden")(x)
    x = layers.Dense(3, activation="softmax", name="probs")(x)
    model = keras.Model(inputs, x)
    randomize_weights(model, seed=3)
    return model


def _dense_tanh():
    inputs = keras.Input((5,), name="x")
    x = layers.Dense(4, activation="tanh", name="d1")(inputs)
    x = layers.Dense(2, name="d2")(x)
    model = keras.Model(inputs, x)
    randomize_weights(model, seed=4)
    return model


COMPILED = {
    "small_cnn_excel": (_small_cnn, "excel"),
    "dense_tanh_sheets": (_dense_tanh, "sheets"),
    "digits_cnn_excel": (lambda: FIXTURES / "digits_cnn.keras", "excel"),
}


def _formulas(path):
    book = openpyxl.load_workbook(path, read_only=True)
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            found += [c.value for c in row if c.data_type == "f"]
    book.close()
    return found


@pytest.mark.parametrize("case", sorted(COMPILED))
def test_every_emitted_formula_round_trips(case, tmp_path):
    make, target = COMPILED[case]
    model = make()
    sample = None if isinstance(model, type(FIXTURES)) else sample_for(model)[0]
    path = tmp_path / f"{case}.xlsx"
    compile_model(model, path, sample=sample, target=target)

    formulas = _formulas(path)

    assert formulas
    for text in formulas:
        tree = parse(text)
        assert to_formula(tree) == text
        assert parse(to_formula(tree)) == tree


# -- random trees: whatever the printer writes parses back to the same tree --------------------


# The recursive strategy's repr grows with its depth; hypothesis warns while building it.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(max_examples=400, deadline=None)
@given(trees)
def test_printed_random_tree_parses_back_to_itself(tree):
    text = to_formula(tree)

    assert parse(text) == tree


@settings(max_examples=2000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_round_trips_every_finite_double(value):
    text = format_number(value)

    back = float(text)

    # Bit for bit, except that -0.0 prints as 0: spreadsheets have no negative zero.
    assert struct.pack("<d", back) == struct.pack("<d", value) or value == 0
    assert parse(text) == ast.Number(value)


@pytest.mark.parametrize(
    "value", [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 1 / 3, 2.0**53 + 2]
)
def test_format_number_extremes(value):
    assert parse(format_number(value)) == ast.Number(value)
    assert parse(format_number(-value)) == ast.Number(-value)


def test_every_printable_character_a_sheet_name_may_hold_survives_quoting():
    name = "".join(c for c in string.printable if c not in "[]:*?/\\\t\n\r\x0b\x0c")

    tree = ast.Cell(0, 0, name)

    assert parse(to_formula(tree)) == tree
