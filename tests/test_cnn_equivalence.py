"""Numeric equivalence: the layers of a digit CNN, every option, compiled and verified."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers
from support import compile_and_verify, randomize_weights, sample_for, stacked_model

from cnn2sheet import compile_model, verify
from cnn2sheet.frontend import build_graph
from cnn2sheet.ir.evaluate import evaluate
from cnn2sheet.lowering import lower
from cnn2sheet.passes import run_passes

CONV_CASES = {
    "valid_3x3": dict(filters=2, kernel_size=3),
    "same_3x3": dict(filters=2, kernel_size=3, padding="same"),
    "same_even_kernel": dict(filters=2, kernel_size=2, padding="same"),
    "same_4x4_stride2_odd_input": dict(filters=2, kernel_size=4, strides=2, padding="same"),
    "valid_stride_2x3": dict(filters=3, kernel_size=3, strides=(2, 3)),
    "rectangular_kernel": dict(filters=2, kernel_size=(2, 3), padding="same"),
    "dilation": dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"),
    "dilation_rect_valid": dict(filters=2, kernel_size=(2, 2), dilation_rate=(1, 2)),
    "no_bias_relu": dict(filters=2, kernel_size=3, use_bias=False, activation="relu"),
    "sigmoid": dict(filters=2, kernel_size=1, activation="sigmoid"),
    "tanh_stride_same": dict(
        filters=2, kernel_size=3, strides=2, padding="same", activation="tanh"
    ),
}


@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_conv2d(case, tmp_path):
    model = stacked_model((7, 6, 2), layers.Conv2D(**CONV_CASES[case]))

    compile_and_verify(model, tmp_path)


@pytest.mark.parametrize("case", ["same_4x4_stride2_odd_input", "dilation", "valid_3x3"])
def test_conv2d_compact_layout(case, tmp_path):
    model = stacked_model((7, 6, 2), layers.Conv2D(**CONV_CASES[case]))

    compile_and_verify(model, tmp_path, layout="compact")


POOL_CASES = {
    "max_2": (layers.MaxPooling2D, dict(pool_size=2)),
    "max_3_stride_2_same": (layers.MaxPooling2D, dict(pool_size=3, strides=2, padding="same")),
    "max_2x3_valid": (layers.MaxPooling2D, dict(pool_size=(2, 3))),
    "avg_2": (layers.AveragePooling2D, dict(pool_size=2)),
    "avg_3_same": (layers.AveragePooling2D, dict(pool_size=3, strides=1, padding="same")),
    "avg_2_stride_1": (layers.AveragePooling2D, dict(pool_size=2, strides=1)),
}


@pytest.mark.parametrize("case", sorted(POOL_CASES))
def test_pooling(case, tmp_path):
    cls, options = POOL_CASES[case]
    model = stacked_model((7, 5, 3), cls(**options))

    compile_and_verify(model, tmp_path, layout="readable")
    compile_and_verify(model, tmp_path, engines=("ironcalc",), layout="compact", name="compact")


DENSE_CASES = {
    "vector_linear": ((5,), dict(units=4)),
    "vector_relu_no_bias": ((5,), dict(units=3, activation="relu", use_bias=False)),
    "rank3_acts_on_last_axis": ((3, 4), dict(units=2, activation="tanh")),
    "rank4_sigmoid": ((2, 3, 4), dict(units=2, activation="sigmoid")),
    "softmax": ((6,), dict(units=5, activation="softmax")),
    "softmax_rank3": ((2, 6), dict(units=3, activation="softmax")),
}


@pytest.mark.parametrize("case", sorted(DENSE_CASES))
def test_dense(case, tmp_path):
    shape, options = DENSE_CASES[case]
    model = stacked_model(shape, layers.Dense(**options))

    compile_and_verify(model, tmp_path)


@pytest.mark.parametrize("name", ["linear", "relu", "sigmoid", "tanh", "softmax"])
def test_activation_layer(name, tmp_path):
    model = stacked_model((2, 5), layers.Dense(4), layers.Activation(name))

    compile_and_verify(model, tmp_path)


@pytest.mark.parametrize("layout", ["readable", "compact"])
def test_small_cnn_end_to_end(layout, tmp_path):
    model = stacked_model(
        (9, 9, 1),
        layers.Conv2D(3, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(4, 2, activation="relu"),
        layers.AveragePooling2D(2, padding="same"),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(6, activation="relu"),
        layers.Dense(3, activation="softmax"),
        seed=3,
    )

    reports = compile_and_verify(model, tmp_path, seed=5, layout=layout)

    for report in reports.values():
        assert report.max_abs_error < 1e-5, report.to_text()


def test_branches_and_two_outputs(tmp_path):
    a = keras.Input((6, 6, 1), name="left")
    b = keras.Input((4,), name="right")
    conv = layers.Conv2D(2, 3, activation="relu", name="conv")(a)
    pooled = layers.Flatten()(layers.MaxPooling2D(2, name="pool")(conv))
    head = layers.Dense(3, activation="softmax", name="head")(pooled)
    side = layers.Dense(2, name="side")(b)
    model = keras.Model([a, b], [head, side, conv])
    randomize_weights(model, 7)

    compile_and_verify(model, tmp_path)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ir_evaluation_matches_keras_for_any_seed(seed):
    """The IR itself, evaluated in float64, agrees with Keras (no spreadsheet involved)."""
    model = stacked_model(
        (11, 8, 2),
        layers.Conv2D(3, (3, 2), strides=(2, 1), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 3), padding="same"),
        layers.Flatten(),
        layers.Dense(4, activation="softmax"),
        seed=seed,
    )
    (sample,) = sample_for(model, seed)
    program = lower(build_graph(model), [sample])
    run_passes(program)

    values = evaluate(program)

    port = program.outputs[0]
    block = program.blocks[port.block]
    got = values[block.ids.ravel()]
    want = np.asarray(model.predict(sample[None], verbose=0)).ravel()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_legacy_h5_and_keras_files_compile_from_disk(tmp_path):
    model = stacked_model(
        (6, 6, 1),
        layers.Conv2D(2, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
        seed=4,
    )
    (sample,) = sample_for(model, 4)

    for suffix in (".h5", ".keras"):
        path = tmp_path / f"model{suffix}"
        model.save(path)
        book = tmp_path / f"model{suffix}.xlsx"
        compile_model(path, book, sample=sample)
        report = verify(path, book, engine="ironcalc")
        assert report.passed, report.to_text()
