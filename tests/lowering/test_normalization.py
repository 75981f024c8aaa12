"""Normalization, preprocessing and inference no-op layers, every option, against Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers
from support import compile_and_verify, randomize_weights, sample_for

from cnn2sheet.errors import UnsupportedModelError
from cnn2sheet.frontend import build_graph
from cnn2sheet.ir import Binary, Const, Func, Ref
from cnn2sheet.lowering import check_graph, lower
from cnn2sheet.passes import run_passes

RNG = np.random.default_rng(11)


def _model(shapes, build, seed=0):
    """Inputs ``{name: shape}``, outputs ``build(*inputs)``, seeded random weights.

    randomize_weights draws moving means from N(0, 0.5) and variances from [0.5, 1.5), so
    BatchNorm's statistics are far from the identity's zeros and ones.
    """
    inputs = [keras.Input(shape, name=name) for name, shape in shapes.items()]
    outputs = build(*inputs)
    model = keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs)
    randomize_weights(model, seed)
    return model


def _batchnorm_options(x):
    return [
        layers.BatchNormalization(name="last_axis")(x),
        layers.BatchNormalization(axis=1, name="axis_1")(x),
        layers.BatchNormalization(axis=2, center=False, name="axis_2_no_center")(x),
        layers.BatchNormalization(scale=False, epsilon=0.1, name="no_scale_epsilon")(x),
        layers.BatchNormalization(center=False, scale=False, name="neither")(x),
    ]


def _batchnorm_after_linear(image, vector):
    conv = layers.Conv2D(3, 2, name="conv")(image)
    dense = layers.Dense(3, use_bias=False, name="dense_no_bias")(vector)
    dense_relu = layers.Dense(3, activation="relu", name="dense_relu")(vector)
    return [
        layers.ReLU(name="conv_bn_relu")(layers.BatchNormalization(name="conv_bn")(conv)),
        layers.BatchNormalization(center=False, name="dense_bn")(dense),
        layers.BatchNormalization(name="relu_bn")(dense_relu),
        layers.BatchNormalization(axis=1, name="rows_bn")(layers.Conv2D(2, 2, name="rows")(image)),
    ]


def _layer_norm(x):
    return [
        layers.LayerNormalization(name="last_axis")(x),
        layers.LayerNormalization(axis=1, name="axis_1")(x),
        layers.LayerNormalization(axis=[1, 3], name="axes_1_3")(x),
        layers.LayerNormalization(center=False, scale=False, epsilon=0.1, name="bare")(x),
        # Deprecated in Keras (it divides x, not x − mean, by the standard deviation), still read.
        layers.LayerNormalization(rms_scaling=True, name="rms_scaling")(x),
    ]


def _group_norm(x):
    return [
        layers.GroupNormalization(groups=2, name="two_groups")(x),
        layers.GroupNormalization(groups=-1, name="instance_norm")(x),
        layers.GroupNormalization(groups=2, axis=2, center=False, name="axis_2")(x),
        layers.GroupNormalization(groups=1, axis=1, scale=False, epsilon=0.2, name="axis_1")(x),
    ]


def _rms_and_unit(x):
    # RMSNormalization on a non-trailing axis fails inside Keras itself, so trailing axes only.
    return [
        layers.RMSNormalization(name="rms_last_axis")(x),
        layers.RMSNormalization(axis=[1, 2], epsilon=0.01, name="rms_both_axes")(x),
        layers.UnitNormalization(name="unit_last_axis")(x),
        layers.UnitNormalization(axis=1, name="unit_axis_1")(x),
        layers.UnitNormalization(axis=[1, 2], name="unit_both_axes")(x),
    ]


def _preprocessing(x):
    adapted = layers.Normalization(axis=None, name="adapted_scalar")
    adapted.adapt(RNG.normal(2.0, 3.0, size=(40, 3, 4)))
    per_row = layers.Normalization(
        axis=1, mean=RNG.normal(size=3), variance=RNG.uniform(0.5, 2, size=3), invert=True,
        name="inverted_rows",
    )  # fmt: skip
    return [
        layers.Rescaling(1 / 255, offset=-0.5, name="rescale_scalar")(x),
        layers.Rescaling([1.0, -2.0, 0.5, 3.0], name="rescale_per_channel")(x),
        layers.Normalization(
            mean=RNG.normal(size=4), variance=RNG.uniform(0.5, 2, size=4), name="given"
        )(x),
        per_row(x),
        adapted(x),
    ]


def _inference_noops(sequence, image, volume):
    h = layers.SpatialDropout1D(0.3)(layers.GaussianNoise(0.5)(sequence))
    h = layers.AlphaDropout(0.3)(layers.GaussianDropout(0.3)(h))
    h = layers.ActivityRegularization(l1=0.1)(h)
    g = layers.SpatialDropout2D(0.3)(image)
    v = layers.SpatialDropout3D(0.3)(volume)
    return [
        layers.Dense(2, name="head")(h),
        layers.Flatten(name="image_flat")(g),
        layers.Flatten(name="volume_flat")(v),
    ]


CASES = {
    "batchnorm_options": ({"x": (3, 4, 2)}, _batchnorm_options),
    "batchnorm_after_linear_layers": (
        {"image": (4, 5, 2), "vector": (5,)},
        _batchnorm_after_linear,
    ),
    "layer_norm": ({"x": (2, 2, 3)}, _layer_norm),
    "group_norm": ({"x": (2, 2, 4)}, _group_norm),
    "rms_and_unit_norm": ({"x": (3, 4)}, _rms_and_unit),
    "rescaling_and_normalization": ({"x": (3, 4)}, _preprocessing),
    "inference_noops": (
        {"sequence": (3, 4), "image": (2, 3, 2), "volume": (2, 2, 1, 2)},
        _inference_noops,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_normalization_layers(case, tmp_path):
    model = _model(*CASES[case])

    compile_and_verify(model, tmp_path)


def test_batchnorm_lowers_to_editable_statistics():
    model = _model({"x": (2, 3)}, lambda x: layers.BatchNormalization(epsilon=0.01)(x))

    program = lower(build_graph(model), sample_for(model))

    blocks = program.blocks
    roles = [b.role for b in blocks.values() if b.kind == "param"]
    assert roles == ["moving_mean", "moving_variance", "gamma", "beta"]
    mean, variance, gamma, beta = (b.start for b in blocks.values() if b.kind == "param")
    x = blocks["x"].start
    (out,) = program.compute_blocks()
    # (x − mean)/SQRT(var + ε)·γ + β, reading channel 0's four weight cells.
    assert out.exprs[0] == Binary(
        "+",
        Binary(
            "*",
            Binary(
                "/",
                Binary("-", Ref(x), Ref(mean)),
                Func("SQRT", (Binary("+", Ref(variance), Const(0.01)),)),
            ),
            Ref(gamma),
        ),
        Ref(beta),
    )


def test_batchnorm_after_conv_is_folded_and_the_others_are_not():
    model = _model(*CASES["batchnorm_after_linear_layers"])
    program = lower(build_graph(model), sample_for(model))

    run_passes(program)

    merged = sorted(b.layers for b in program.compute_blocks() if len(b.layers) > 1)
    assert merged == [
        ["conv", "conv_bn", "conv_bn_relu"],  # folded, then the ReLU fused in as well
        ["dense_no_bias", "dense_bn"],
    ]
    # A ReLU stands between dense_relu and relu_bn; rows_bn normalizes rows, but one kernel
    # serves every row of a channel. Neither folds.
    assert {"rows", "rows_bn", "dense_relu", "relu_bn"} <= {
        b.layer for b in program.compute_blocks()
    }


def test_inference_noops_make_no_cells():
    model = _model(*CASES["inference_noops"])

    program = lower(build_graph(model), sample_for(model))

    layer_names = {b.layer for b in program.blocks.values()}
    assert not any("dropout" in n or "noise" in n or "regularization" in n for n in layer_names)


@pytest.mark.parametrize(
    "layer",
    [layers.BatchNormalization(name="norm"), layers.GaussianNoise(0.2, name="norm")],
    ids=["BatchNormalization", "GaussianNoise"],
)
def test_layers_called_in_training_mode_are_refused(layer):
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, layer(inputs, training=True))

    with pytest.raises(UnsupportedModelError, match=r"layer 'norm' .*training=True"):
        check_graph(build_graph(model))
