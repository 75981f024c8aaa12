"""Numeric equivalence of the convolution family and of pooling, every option, on tiny models."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
from keras import layers
from support import compile_and_verify, sample_for, stacked_model

from cnn2sheet.errors import UnsupportedModelError
from cnn2sheet.frontend import build_graph
from cnn2sheet.ir.evaluate import evaluate
from cnn2sheet.lowering import check_graph, lower
from cnn2sheet.passes import run_passes

# Every compile here leaves out the Check sheet (check=False): it has tests of its own, and
# without it the `formulas` engine loads only the layer's cells, a quarter of the formulas.


# Channels-first cases keep the last spatial size apart from the channel count: Keras's
# TensorFlow `ops.add` takes a bias whose length equals the last axis for a channels-last
# bias and adds it along the wrong axis.
CONV_CASES = {
    "conv1d_valid": ((7, 3), layers.Conv1D(2, 3)),
    "conv1d_same_even_kernel_stride2": ((7, 3), layers.Conv1D(2, 2, strides=2, padding="same")),
    "conv1d_causal": ((6, 2), layers.Conv1D(2, 3, padding="causal")),
    "conv1d_causal_dilated": ((7, 2), layers.Conv1D(2, 2, padding="causal", dilation_rate=3)),
    "conv1d_causal_stride2": ((8, 2), layers.Conv1D(3, 3, padding="causal", strides=2)),
    "conv1d_dilated_valid": ((9, 2), layers.Conv1D(2, 3, dilation_rate=2)),
    "conv1d_no_bias_relu": ((7, 3), layers.Conv1D(3, 3, use_bias=False, activation="relu")),
    "conv1d_tanh_same": ((5, 2), layers.Conv1D(2, 4, padding="same", activation="tanh")),
    "conv1d_groups": ((7, 4), layers.Conv1D(4, 3, groups=2, padding="same")),
    "conv1d_groups_channels_first": (
        (4, 7),
        layers.Conv1D(6, 3, groups=2, data_format="channels_first"),
    ),
    "conv2d_groups_same": ((4, 3, 4), layers.Conv2D(4, 3, groups=2, padding="same")),
    "conv2d_groups_per_channel_stride2": (
        (7, 6, 3),
        layers.Conv2D(3, 3, strides=2, groups=3, use_bias=False, activation="relu"),
    ),
    "conv2d_groups_channels_first": (
        (4, 5, 6),
        layers.Conv2D(2, (2, 3), groups=2, data_format="channels_first", activation="sigmoid"),
    ),
    "conv3d": ((4, 3, 5, 2), layers.Conv3D(2, 2, strides=(1, 2, 1))),
}


@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_conv(case, tmp_path):
    shape, layer = CONV_CASES[case]
    model = stacked_model(shape, layer)

    compile_and_verify(model, tmp_path, check=False)


DEPTHWISE_CASES = {
    "dw1d_valid": ((7, 3), layers.DepthwiseConv1D(3)),
    "dw1d_multiplier_same_stride2": (
        (8, 2),
        layers.DepthwiseConv1D(3, strides=2, padding="same", depth_multiplier=2),
    ),
    "dw1d_dilated_no_bias_relu": (
        (9, 2),
        layers.DepthwiseConv1D(2, dilation_rate=3, use_bias=False, activation="relu"),
    ),
    "dw2d_multiplier_same": (
        (4, 3, 2),
        layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2),
    ),
    "dw2d_rect_kernel_stride2_valid": ((7, 5, 3), layers.DepthwiseConv2D((3, 2), strides=2)),
    "dw2d_dilated_sigmoid_no_bias": (
        (6, 6, 2),
        layers.DepthwiseConv2D(2, dilation_rate=2, use_bias=False, activation="sigmoid"),
    ),
    "dw2d_channels_first": (
        (3, 5, 6),
        layers.DepthwiseConv2D(3, depth_multiplier=2, data_format="channels_first"),
    ),
    "sep1d_valid": ((7, 3), layers.SeparableConv1D(2, 3)),
    "sep1d_multiplier_same_stride2_tanh": (
        (8, 2),
        layers.SeparableConv1D(
            3, 3, strides=2, padding="same", depth_multiplier=2, activation="tanh"
        ),
    ),
    "sep1d_no_bias_channels_first": (
        (3, 7),
        layers.SeparableConv1D(2, 2, use_bias=False, data_format="channels_first"),
    ),
    "sep2d_multiplier_same": (
        (4, 3, 2),
        layers.SeparableConv2D(3, 3, padding="same", depth_multiplier=2),
    ),
    "sep2d_dilated_relu": (
        (6, 7, 2),
        layers.SeparableConv2D(2, 2, dilation_rate=(2, 3), activation="relu"),
    ),
    "sep2d_stride2_no_bias": ((7, 6, 2), layers.SeparableConv2D(2, 3, strides=2, use_bias=False)),
    "sep2d_channels_first": (
        (2, 4, 5),
        layers.SeparableConv2D(3, 3, padding="same", data_format="channels_first"),
    ),
}


@pytest.mark.parametrize("case", sorted(DEPTHWISE_CASES))
def test_depthwise_and_separable(case, tmp_path):
    shape, layer = DEPTHWISE_CASES[case]
    model = stacked_model(shape, layer)

    compile_and_verify(model, tmp_path, check=False)


def test_depthwise_with_unequal_strides_matches_the_grouped_convolution_keras_runs():
    """TensorFlow's depthwise kernel refuses unequal strides; the same filters as a grouped
    Conv2D (which Keras runs) check the lowering instead."""
    depthwise = stacked_model(
        (7, 6, 2), layers.DepthwiseConv2D((3, 2), strides=(2, 1), depth_multiplier=2)
    )
    grouped = stacked_model((7, 6, 2), layers.Conv2D(4, (3, 2), strides=(2, 1), groups=2))
    kernel, bias = depthwise.layers[1].get_weights()  # (3, 2, 2, 2), (4,)
    grouped.layers[1].set_weights([kernel.reshape(3, 2, 1, 4), bias])
    (sample,) = sample_for(depthwise)

    program = lower(build_graph(depthwise), [sample])
    values = evaluate(program)

    got = values[program.blocks[program.outputs[0].block].ids]
    want = np.asarray(grouped(sample[None]))[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


TRANSPOSE_CASES = {
    "t1d_valid": ((5, 2), layers.Conv1DTranspose(2, 3)),
    "t1d_valid_stride2": ((4, 3), layers.Conv1DTranspose(2, 3, strides=2)),
    "t1d_valid_stride3_output_padding2": (
        (4, 2),
        layers.Conv1DTranspose(2, 2, strides=3, output_padding=2),
    ),
    "t1d_kernel1_stride2": ((5, 2), layers.Conv1DTranspose(3, 1, strides=2)),
    "t1d_same_stride2": ((4, 2), layers.Conv1DTranspose(2, 4, strides=2, padding="same")),
    "t1d_same_stride2_output_padding1": (
        (4, 2),
        layers.Conv1DTranspose(2, 3, strides=2, padding="same", output_padding=1),
    ),
    "t1d_same_stride3_output_padding0_no_bias_relu": (
        (4, 2),
        layers.Conv1DTranspose(
            2, 3, strides=3, padding="same", output_padding=0, use_bias=False, activation="relu"
        ),
    ),
    "t2d_valid_rect_kernel_strides": (
        (3, 2, 2),
        layers.Conv2DTranspose(2, (3, 2), strides=(2, 3)),
    ),
    "t2d_same_stride2": ((2, 3, 2), layers.Conv2DTranspose(2, 3, strides=2, padding="same")),
    "t2d_valid_output_padding_tanh": (
        (3, 3, 1),
        layers.Conv2DTranspose(2, 2, strides=2, output_padding=(1, 0), activation="tanh"),
    ),
    "t2d_same_output_padding_no_bias": (
        (2, 3, 2),
        layers.Conv2DTranspose(
            2, (3, 2), strides=(3, 2), padding="same", output_padding=(1, 1), use_bias=False
        ),
    ),
    "t3d": ((2, 2, 3, 2), layers.Conv3DTranspose(1, 2, strides=(2, 1, 2))),
}


@pytest.mark.parametrize("case", sorted(TRANSPOSE_CASES))
def test_conv_transpose(case, tmp_path):
    shape, layer = TRANSPOSE_CASES[case]
    model = stacked_model(shape, layer)

    compile_and_verify(model, tmp_path, check=False)


def _ir_error(model, seed: int = 0) -> float:
    """Largest |IR value − Keras| of the model's one output (float64 IR, eager Keras)."""
    samples = sample_for(model, seed)
    program = lower(build_graph(model), samples)
    run_passes(program)
    values = evaluate(program)
    got = values[program.blocks[program.outputs[0].block].ids.ravel()]
    want = np.asarray(model(samples[0][None])).ravel()
    return float(np.abs(got - want).max())


def _tensorflow_runs(model) -> bool:
    try:
        model(sample_for(model)[0][None])
    except Exception:  # TensorFlow raises several kinds of error at run time
        return False
    return True


SWEEP = list(itertools.product([4, 5], [1, 2, 3, 4], [1, 2, 3], ["valid", "same"], [None, 0, 1, 2]))


def test_conv_transpose_sizes_and_padding_match_keras_everywhere():
    """Every (size, kernel, stride, padding, output_padding) Keras builds: the check accepts
    exactly what TensorFlow runs, and the lowering then matches it."""
    checked = rejected = 0

    for size, kernel, stride, padding, output_padding in SWEEP:
        if output_padding is not None and output_padding >= stride:
            continue  # Keras refuses to build these
        layer = layers.Conv1DTranspose(
            2, kernel, strides=stride, padding=padding, output_padding=output_padding
        )
        model = stacked_model((size, 2), layer)
        label = f"{size=} {kernel=} {stride=} {padding=} {output_padding=}"

        if _tensorflow_runs(model):
            assert _ir_error(model) < 1e-5, label
            checked += 1
        else:
            with pytest.raises(UnsupportedModelError, match="cannot map back"):
                check_graph(build_graph(model))
            rejected += 1

    assert checked > 50 and rejected > 0


def test_conv_transpose_rejects_dilation_and_reports_every_problem():
    model = stacked_model(
        (5, 2),
        layers.Conv1DTranspose(2, 3, dilation_rate=2, name="dilated"),
        layers.Conv1DTranspose(2, 2, padding="same", output_padding=0, name="bad_pad"),
    )

    with pytest.raises(UnsupportedModelError) as error:
        check_graph(build_graph(model))

    message = str(error.value)
    assert "2 problems" in message
    assert "layer 'dilated' (Conv1DTranspose): dilation_rate=(2,) is not supported" in message
    assert "layer 'bad_pad' (Conv1DTranspose): output_padding=(0,) with padding 'same'" in message


POOL_CASES = {
    "max1d_2": ((7, 3), layers.MaxPooling1D(2)),
    "max1d_3_stride2_same": ((7, 2), layers.MaxPooling1D(3, strides=2, padding="same")),
    "max1d_channels_first": ((2, 7), layers.MaxPooling1D(2, data_format="channels_first")),
    "avg1d_2_same": ((7, 3), layers.AveragePooling1D(2, padding="same")),
    "avg1d_3_stride1": ((6, 2), layers.AveragePooling1D(3, strides=1)),
    "avg1d_channels_first_same": (
        (2, 7),
        layers.AveragePooling1D(3, padding="same", data_format="channels_first"),
    ),
    "max3d": ((3, 4, 3, 2), layers.MaxPooling3D(2, padding="same")),
    "avg3d": ((3, 4, 3, 2), layers.AveragePooling3D((2, 2, 1), strides=1)),
    "max2d_channels_first": ((2, 5, 7), layers.MaxPooling2D(2, data_format="channels_first")),
    "max2d_over_zero_padding": (
        (4, 3, 2),
        [layers.ZeroPadding2D(1), layers.MaxPooling2D(3, strides=2, padding="same")],
    ),
    "avg2d_over_zero_padding": (
        (4, 3, 2),
        [layers.ZeroPadding2D(((1, 0), (2, 1))), layers.AveragePooling2D(3, padding="same")],
    ),
}


@pytest.mark.parametrize("case", sorted(POOL_CASES))
def test_pooling(case, tmp_path):
    shape, stack = POOL_CASES[case]
    model = stacked_model(shape, *(stack if isinstance(stack, list) else [stack]))

    compile_and_verify(model, tmp_path, check=False)


GLOBAL_CASES = {
    "gmp1d": ((6, 3), layers.GlobalMaxPooling1D()),
    "gmp1d_keepdims_channels_first": (
        (3, 5),
        layers.GlobalMaxPooling1D(keepdims=True, data_format="channels_first"),
    ),
    "gmp2d_keepdims": ((4, 5, 3), layers.GlobalMaxPooling2D(keepdims=True)),
    "gmp3d": ((2, 3, 4, 2), layers.GlobalMaxPooling3D()),
    "gap1d_keepdims": ((6, 3), layers.GlobalAveragePooling1D(keepdims=True)),
    "gap2d": ((4, 5, 3), layers.GlobalAveragePooling2D()),
    "gap2d_keepdims_channels_first": (
        (3, 4, 5),
        layers.GlobalAveragePooling2D(keepdims=True, data_format="channels_first"),
    ),
    "gap2d_over_zero_padding_then_dense": (
        (3, 3, 2),
        [layers.ZeroPadding2D(1), layers.GlobalAveragePooling2D(), layers.Dense(2)],
    ),
}


@pytest.mark.parametrize("case", sorted(GLOBAL_CASES))
def test_global_pooling(case, tmp_path):
    shape, stack = GLOBAL_CASES[case]
    model = stacked_model(shape, *(stack if isinstance(stack, list) else [stack]))

    compile_and_verify(model, tmp_path, check=False)


def test_global_average_pooling_rejects_a_mask():
    tokens = keras.Input((5,), dtype="int32")
    embedded = layers.Embedding(10, 3, mask_zero=True)(tokens)
    pooled = layers.GlobalAveragePooling1D(name="pool")(embedded)
    model = keras.Model(tokens, pooled)

    with pytest.raises(UnsupportedModelError, match=r"layer 'pool' .*a mask from an earlier"):
        check_graph(build_graph(model))


def test_small_conv_family_network(tmp_path):
    model = stacked_model(
        (6, 5, 2),
        layers.SeparableConv2D(4, 3, padding="same", activation="relu"),
        layers.DepthwiseConv2D(2, strides=2),
        layers.Conv2D(4, 1, groups=2, activation="tanh"),
        layers.Conv2DTranspose(2, 2, strides=2, padding="same"),
        layers.GlobalMaxPooling2D(),
        layers.Dense(3, activation="softmax"),
        seed=4,
    )

    compile_and_verify(model, tmp_path, seed=2, check=False)
