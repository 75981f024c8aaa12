"""Pre-flight budget: a model too large for the target is refused before anything is written."""

from __future__ import annotations

import keras
import pytest
from keras import layers
from support import FIXTURES

from cnn2sheet import compile_model
from cnn2sheet.cli import main
from cnn2sheet.compiler import inspect_model
from cnn2sheet.errors import TargetLimitError


def test_more_than_ten_million_weights_are_refused_for_google_sheets(tmp_path):
    inputs = keras.Input((3200,), name="wide")
    model = keras.Model(inputs, layers.Dense(3200, name="huge")(inputs))
    path = tmp_path / "huge.xlsx"

    with pytest.raises(
        TargetLimitError,
        match=r"needs at least 10,249,600 cells \(10,243,200 weights alone\); "
        r"target 'sheets' allows 10,000,000 cells per spreadsheet, "
        r"249,600 fewer",
    ):
        compile_model(model, path, target="sheets")

    assert list(tmp_path.iterdir()) == []


def test_budget_counts_weights_inputs_and_new_cells():
    budget = inspect_model(FIXTURES / "digits_cnn.keras")

    by_name = {row.name: row for row in budget.layers}
    assert by_name["image"].cells == 64
    assert (by_name["conv1"].params, by_name["conv1"].cells) == (80, 8 * 8 * 8)
    assert by_name["flatten"].cells == 0
    assert budget.params == 1898
    assert budget.problems() == []


def test_inspect_lists_every_layer(capsys):
    status = main(["inspect", str(FIXTURES / "digits_cnn.keras"), "--target", "sheets"])

    out = capsys.readouterr().out
    assert status == 0
    for name in ("image", "conv1", "pool1", "conv2", "flatten", "dropout", "digits"):
        assert name in out
    assert "fits target 'sheets'" in out
    flatten = next(line for line in out.splitlines() if line.strip().startswith("flatten"))
    assert "no cells (references only)" in flatten
    conv1 = next(line for line in out.splitlines() if line.strip().startswith("conv1"))
    assert conv1.split()[3:6] == ["80", "592", "512"]  # weights, cells, formulas
    assert "model!A" in conv1
