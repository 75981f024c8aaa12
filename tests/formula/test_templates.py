"""TemplateParser gives exactly parse()'s tree, whether a formula's shape is new or known."""

from __future__ import annotations

import pytest
from formula_trees import cells, numbers, ranges, trees
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn2sheet.errors import FormulaSyntaxError
from cnn2sheet.formula import ast
from cnn2sheet.formula.parser import parse
from cnn2sheet.formula.printer import to_formula
from cnn2sheet.formula.templates import TemplateParser


def _resample(node: ast.Node, data) -> ast.Node:
    """The same tree shape with new references and numbers: a formula of the same shape."""
    if isinstance(node, ast.Cell):
        return data.draw(cells)
    if isinstance(node, ast.Range):
        return data.draw(ranges)
    if isinstance(node, ast.Number):
        return data.draw(numbers)
    if isinstance(node, ast.Binary):
        return ast.Binary(node.op, _resample(node.left, data), _resample(node.right, data))
    if isinstance(node, ast.Unary):
        operand = _resample(node.operand, data)
        if node.op == "-" and isinstance(operand, ast.Number) and not operand.value < 0:
            operand = ast.Number(-operand.value or -1.0)
        return ast.Unary(node.op, operand)
    if isinstance(node, ast.Percent):
        return ast.Percent(_resample(node.operand, data))
    if isinstance(node, ast.Call):
        return ast.Call(node.name, tuple(_resample(a, data) for a in node.args))
    return node


# The recursive strategy's repr grows with its depth; hypothesis warns while building it.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(max_examples=300, deadline=None)
@given(trees, st.data())
def test_template_parse_equals_parse(tree, data):
    parser = TemplateParser()
    first = to_formula(tree)
    second = to_formula(_resample(tree, data))

    results = [parser.parse(text) for text in (first, second, first)]

    assert results == [parse(first), parse(second), parse(first)]


SAME_SHAPE = {
    "neuron": ["=MAX(0,SUMPRODUCT(A3:C5,F3:H5)+J3)", "=MAX(0,SUMPRODUCT(B9:D11,F3:H5)+K3)"],
    "sheets": ["=model!A1+'my sheet'!$B$2:C3", "='model (2)'!Z9+x.y!B2:C3"],
    "negative_numbers": ["=-2^2+A1*-0.5", "=-3^1E-05+B2*-7"],
    "string_holding_a_reference": ['="A1"&B2', '="ZZ9"&C3'],
    "quoted_sheet_holding_a_reference": ["='A1 B2'!A:C+1", "='A1 B2'!A:C+2"],
    "names_and_functions_like_cells": ["=LOG10(A1B)+AB1", "=LOG10(A1B)+XY10"],
    "row_spans": ["=SUM(1:3)+4", "=SUM(1:3)+5"],
    "sentinel_in_text": ["=XFD1048576+1", "=9.5367431640625E-07*A1"],
}


@pytest.mark.parametrize("case", sorted(SAME_SHAPE))
def test_known_shapes_fill_their_slots(case):
    parser = TemplateParser()

    trees_ = [parser.parse(text) for text in SAME_SHAPE[case]]

    assert trees_ == [parse(text) for text in SAME_SHAPE[case]]


@pytest.mark.parametrize("text", ["=SUM(A1,", "=A1 B1", '="open', "=1+@A1"])
def test_syntax_errors_match_parse(text):
    parser = TemplateParser()
    with pytest.raises(FormulaSyntaxError) as expected:
        parse(text)

    with pytest.raises(FormulaSyntaxError) as caught:
        parser.parse(text)

    assert str(caught.value) == str(expected.value)
