"""Exact formulas for small cases: what a reader of the workbook sees, cell by cell."""

from __future__ import annotations

import keras
import numpy as np
import openpyxl
import pytest
from keras import layers
from support import randomize_weights

from cnn2sheet import compile_model


def _formulas(path):
    book = openpyxl.load_workbook(path)
    sheet = book["model"]
    cells = {c.coordinate: c.value for row in sheet.iter_rows() for c in row if c.value is not None}
    names = {name: d.attr_text for name, d in book.defined_names.items()}
    return cells, names


@pytest.fixture(scope="module")
def conv_book(tmp_path_factory):
    inputs = keras.Input((3, 3, 1), name="x")
    outputs = layers.Conv2D(1, 2, activation="relu", name="conv")(inputs)
    model = keras.Model(inputs, outputs)
    randomize_weights(model, 0)
    path = tmp_path_factory.mktemp("exact") / "conv.xlsx"
    compile_model(model, path, sample=np.arange(9, dtype=np.float32).reshape(3, 3, 1))
    return _formulas(path), model


def test_conv_window_is_one_sumproduct_of_congruent_rectangles(conv_book):
    (cells, _), _ = conv_book

    assert cells["A11"] == "=MAX(0,SUMPRODUCT(A5:B6,D11:E12)+G11)"
    assert cells["B11"] == "=MAX(0,SUMPRODUCT(B5:C6,D11:E12)+G11)"
    assert cells["A12"] == "=MAX(0,SUMPRODUCT(A6:B7,D11:E12)+G11)"
    assert cells["B12"] == "=MAX(0,SUMPRODUCT(B6:C7,D11:E12)+G11)"


def test_weights_and_inputs_are_cells_holding_their_values(conv_book):
    (cells, _), model = conv_book
    kernel = model.get_layer("conv").kernel.numpy()[:, :, 0, 0]

    assert [cells[a] for a in ("A5", "B5", "C5", "A7", "C7")] == [0, 1, 2, 6, 8]
    assert cells["D11"] == pytest.approx(float(kernel[0, 0]), rel=1e-15)
    assert cells["E12"] == pytest.approx(float(kernel[1, 1]), rel=1e-15)


def test_ports_are_workbook_scoped_names_of_one_rectangle(conv_book):
    (_, names), _ = conv_book

    assert names == {"input": "model!$A$5:$C$7", "output": "model!$A$11:$B$12"}


def test_softmax_uses_helper_cells_and_plain_ranges(tmp_path):
    inputs = keras.Input((2,), name="x")
    outputs = layers.Dense(3, activation="softmax", name="probs")(inputs)
    model = keras.Model(inputs, outputs)
    randomize_weights(model, 1)
    path = tmp_path / "softmax.xlsx"

    compile_model(model, path)

    cells, names = _formulas(path)
    assert cells["A9"] == "=SUMPRODUCT(A5:B5,Q9:R9)+T9"
    assert cells["C9"] == "=SUMPRODUCT(A5:B5,Q11:R11)+V9"
    assert cells["E9"] == "=MAX(A9:C9)"
    assert cells["G9"] == "=EXP(A9-E9)"
    assert cells["K9"] == "=SUM(G9:I9)"
    assert cells["O9"] == "=I9/K9"
    assert cells["M8"] == "probs (Dense): softmax"
    assert names["output"] == "model!$M$9:$O$9"
