"""Numeric equivalence of the shape layers (id views), upsampling and the merging layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers
from support import compile_and_verify, randomize_weights, stacked_model

from cnn2sheet.errors import UnsupportedModelError
from cnn2sheet.frontend import build_graph
from cnn2sheet.lowering import check_graph, lower
from cnn2sheet.lowering.layers.upsampling import bilinear_taps

# Every compile here leaves out the Check sheet (check=False): it has tests of its own, and
# without it the `formulas` engine loads only the layer's cells, a quarter of the formulas.


SHAPE_CASES = {
    "identity": ((3, 4), [layers.Identity()]),
    "reshape_inferred_axis": ((4, 3), [layers.Dense(2), layers.Reshape((-1, 4))]),
    "reshape_to_rank3_then_conv": ((12,), [layers.Reshape((2, 3, 2)), layers.Conv2D(2, 2)]),
    "permute_3d": ((4, 3, 2), [layers.Permute((3, 1, 2))]),
    "permute_then_dense": ((4, 3), [layers.Permute((2, 1)), layers.Dense(2)]),
    "repeat_vector": ((4,), [layers.Dense(3), layers.RepeatVector(3)]),
    "flatten_rank4": ((2, 3, 2, 2), [layers.Flatten(), layers.Dense(2)]),
    "flatten_channels_first": (
        (2, 3, 4),
        [layers.Flatten(data_format="channels_first"), layers.Dense(2)],
    ),
    "zero_padding1d_asymmetric_then_dense": (
        (4, 3),
        [layers.ZeroPadding1D((1, 2)), layers.Dense(2, activation="relu")],
    ),
    "zero_padding1d_symmetric_then_conv": ((4, 2), [layers.ZeroPadding1D(2), layers.Conv1D(2, 3)]),
    "zero_padding2d_asymmetric": ((3, 2, 2), [layers.ZeroPadding2D(((1, 0), (2, 1)))]),
    "zero_padding2d_channels_first_then_pool": (
        (2, 3, 4),
        [
            layers.ZeroPadding2D((1, 2), data_format="channels_first"),
            layers.AveragePooling2D(2, data_format="channels_first"),
        ],
    ),
    "zero_padding3d": ((2, 2, 2, 1), [layers.ZeroPadding3D(((0, 1), (1, 0), (1, 1)))]),
    "cropping1d_asymmetric": ((7, 2), [layers.Cropping1D((2, 1))]),
    "cropping2d_asymmetric": ((6, 5, 2), [layers.Cropping2D(((1, 2), (0, 3)))]),
    "cropping2d_channels_first": (
        (2, 5, 6),
        [layers.Cropping2D(((2, 0), (1, 1)), data_format="channels_first")],
    ),
    "cropping3d": ((4, 3, 4, 1), [layers.Cropping3D(((1, 0), (0, 1), (1, 2)))]),
    "upsampling1d": ((3, 2), [layers.UpSampling1D(3)]),
    "upsampling2d_nearest": ((3, 2, 2), [layers.UpSampling2D((2, 3))]),
    "upsampling2d_nearest_channels_first": (
        (2, 2, 3),
        [layers.UpSampling2D(2, data_format="channels_first")],
    ),
    "upsampling3d": ((2, 2, 1, 2), [layers.UpSampling3D((1, 2, 3))]),
}


@pytest.mark.parametrize("case", sorted(SHAPE_CASES))
def test_shape_layer(case, tmp_path):
    shape, stack = SHAPE_CASES[case]
    model = stacked_model(shape, *stack)

    compile_and_verify(model, tmp_path, check=False)


def test_view_layers_make_no_cells():
    model = stacked_model(
        (3, 4, 2),
        layers.ZeroPadding2D(1),
        layers.Cropping2D(((0, 1), (2, 0))),
        layers.Permute((2, 1, 3)),
        layers.Reshape((-1, 2)),
        layers.UpSampling1D(2),
        layers.Identity(),
    )

    program = lower(build_graph(model))

    compute = [b for b in program.blocks.values() if b.kind == "compute"]
    assert [b.role for b in compute] == ["output"]  # only the view of the model's output


BILINEAR_CASES = {
    "factor_2": ((3, 4, 2), dict(size=2)),
    "factor_2x3": ((3, 2, 1), dict(size=(2, 3))),
    "factor_3_odd": ((3, 3, 1), dict(size=3)),
    "factor_4x1": ((2, 3, 2), dict(size=(4, 1))),
    "channels_first": ((2, 3, 2), dict(size=2, data_format="channels_first")),
}


@pytest.mark.parametrize("case", sorted(BILINEAR_CASES))
def test_upsampling2d_bilinear(case, tmp_path):
    shape, options = BILINEAR_CASES[case]
    model = stacked_model(shape, layers.UpSampling2D(interpolation="bilinear", **options))

    compile_and_verify(model, tmp_path, check=False)


@pytest.mark.parametrize("size,factor", [(1, 2), (3, 2), (4, 3), (5, 4), (2, 5)])
def test_bilinear_taps_are_the_weights_keras_resizes_with(size, factor):
    """Resizing the identity matrix along one axis gives Keras's weight of every tap."""
    eye = np.eye(size, dtype=np.float32)[:, :, None]  # (size, size, 1): column j is input j
    resized = keras.ops.image.resize(eye[None], (size * factor, size), interpolation="bilinear")
    want = np.asarray(resized)[0, :, :, 0]

    got = np.zeros_like(want)
    for i, taps in enumerate(bilinear_taps(size, factor)):
        for j, weight in taps.items():
            got[i, j] = weight
    np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("interpolation", ["bicubic", "lanczos3", "area"])
def test_upsampling2d_rejects_other_interpolations(interpolation):
    model = stacked_model((3, 3, 1), layers.UpSampling2D(2, interpolation=interpolation, name="up"))

    with pytest.raises(
        UnsupportedModelError, match=f"layer 'up' .*interpolation '{interpolation}'"
    ):
        check_graph(build_graph(model))


def _merge_model(shapes, merge, seed=0):
    inputs = [keras.Input(shape, name=f"in{k}") for k, shape in enumerate(shapes)]
    model = keras.Model(inputs, merge(inputs))
    randomize_weights(model, seed)
    return model


MERGE_CASES = {
    "add_two": ([(3, 4), (3, 4)], layers.Add()),
    "add_three_broadcast": ([(3, 4), (1, 4), (4,)], layers.Add()),
    "subtract": ([(2, 3, 2), (2, 3, 2)], layers.Subtract()),
    "multiply_two": ([(5,), (5,)], layers.Multiply()),
    "multiply_three_broadcast": ([(2, 3), (2, 1), (2, 3)], layers.Multiply()),
    "average_three": ([(2, 3), (2, 3), (2, 3)], layers.Average()),
    "maximum_two": ([(3, 4), (3, 4)], layers.Maximum()),
    "maximum_three": ([(4,), (4,), (4,)], layers.Maximum()),
    "minimum_two_broadcast": ([(3, 4), (4,)], layers.Minimum()),
    "concatenate_last_axis": ([(3, 2), (3, 4)], layers.Concatenate()),
    "concatenate_axis1_three": ([(1, 3), (2, 3), (3, 3)], layers.Concatenate(axis=1)),
    "concatenate_axis2_rank3": ([(2, 2, 3), (2, 1, 3)], layers.Concatenate(axis=2)),
    "concatenate_negative_axis": ([(2, 3, 2), (1, 3, 2)], layers.Concatenate(axis=-3)),
    "dot_vectors": ([(5,), (5,)], layers.Dot(axes=1)),
    "dot_vectors_normalize": ([(5,), (5,)], layers.Dot(axes=-1, normalize=True)),
    "dot_matrices_axes_2_1": ([(3, 4), (4, 2)], layers.Dot(axes=(2, 1))),
    "dot_matrices_axes_1_1_normalize": ([(4, 3), (4, 2)], layers.Dot(axes=1, normalize=True)),
    "dot_rank3_with_vector": ([(2, 3, 4), (3,)], layers.Dot(axes=(2, 1))),
}


@pytest.mark.parametrize("case", sorted(MERGE_CASES))
def test_merge(case, tmp_path):
    shapes, merge = MERGE_CASES[case]
    model = _merge_model(shapes, merge)

    compile_and_verify(model, tmp_path, check=False)


def test_merges_of_padded_branches(tmp_path):
    """ZERO ids from padding meet every elementwise merge and Dot."""
    x = keras.Input((3, 2), name="x")
    padded = layers.ZeroPadding1D((1, 0))(x)
    conv = layers.Conv1D(2, 2, padding="same")(padded)
    merged = [
        merge()([padded, conv])
        for merge in (
            layers.Add,
            layers.Subtract,
            layers.Multiply,
            layers.Average,
            layers.Maximum,
            layers.Minimum,
        )
    ]
    dot = layers.Dot(axes=1, normalize=True)([padded, conv])
    model = keras.Model(x, [layers.Concatenate()(merged), dot])
    randomize_weights(model, 3)

    compile_and_verify(model, tmp_path, check=False)
