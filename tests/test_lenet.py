"""LeNet-5 on a 28×28 digit: a full-size classic network, verified in the fast engines."""

from __future__ import annotations

import keras
import pytest
from keras import layers
from support import compile_and_verify, randomize_weights


def lenet5(activation: str) -> keras.Model:
    """LeCun's LeNet-5 as Keras builds it today: same-padded first convolution, average pools."""
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1), name="digit"),
            layers.Conv2D(6, 5, padding="same", activation=activation, name="c1"),
            layers.AveragePooling2D(2, name="s2"),
            layers.Conv2D(16, 5, activation=activation, name="c3"),
            layers.AveragePooling2D(2, name="s4"),
            layers.Flatten(name="flat"),
            layers.Dense(120, activation=activation, name="c5"),
            layers.Dense(84, activation=activation, name="f6"),
            layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    # Small weights keep tanh and softmax away from saturation, where errors would hide.
    randomize_weights(model, seed=5, scale=0.15)
    return model


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_lenet5(activation, tmp_path):
    model = lenet5(activation)

    # ~8,000 formula cells: the `formulas` engine would take minutes, so the fast two verify.
    reports = compile_and_verify(model, tmp_path, engines=("ironcalc", "gnumeric"), seed=1)

    for report in reports.values():
        assert report.max_abs_error < 1e-5, report.to_text()
        assert f"max abs error {report.max_abs_error:.3g}" in report.to_text()
