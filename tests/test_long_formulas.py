"""Weighted sums too long for one formula are split into partial sums, and still verify."""

from __future__ import annotations

import keras
import openpyxl
from keras import layers
from support import compile_and_verify, randomize_weights

from cnn2sheet.backend.manifest import read_manifest
from cnn2sheet.lint import lint_workbook


def test_scattered_terms_become_partial_sums_within_excels_limit(tmp_path):
    # A dilated window over 120 channel grids: 1,080 scattered terms, far over 8,192 characters.
    inputs = keras.Input((5, 5, 120), name="x")
    outputs = layers.Conv2D(2, 3, dilation_rate=2, activation="relu", name="wide")(inputs)
    model = keras.Model(inputs, outputs)
    randomize_weights(model, 0, scale=0.05)

    compile_and_verify(model, tmp_path, engines=("ironcalc", "gnumeric"), check=False)

    path = tmp_path / "model.xlsx"
    blocks = {e.block: e for e in read_manifest(path)}
    assert blocks["wide/partial sums"].shape[0] > 2
    sheet = openpyxl.load_workbook(path)["model"]
    longest = max(
        len(c.value)
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    )
    assert longest <= 8_192
    assert not [f for f in lint_workbook(path, "excel") if f.severity == "error"]
