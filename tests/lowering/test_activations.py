"""Activations: every name Keras accepts, the activation layers and ops, against Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers, ops
from support import compile_and_verify, randomize_weights, sample_for

from cnn2sheet.errors import UnsupportedModelError
from cnn2sheet.frontend import build_graph
from cnn2sheet.ir import Program, Ref
from cnn2sheet.ir.evaluate import evaluate
from cnn2sheet.lowering import check_graph, lower
from cnn2sheet.lowering.activations import DECLINED, SUPPORTED
from cnn2sheet.lowering.elementwise import ELEMENTWISE
from cnn2sheet.passes import run_passes


def _model(shapes, build, seed=0):
    """A model of inputs ``{name: shape}`` and outputs ``build(*inputs)``.

    Weights at scale 2 spread pre-activations over about ±10: past relu6's cap, and on both
    sides of every IF in an activation's formula.
    """
    inputs = [keras.Input(shape, name=name) for name, shape in shapes.items()]
    outputs = build(*inputs)
    model = keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs)
    randomize_weights(model, seed, scale=2.0)
    return model


def test_every_keras_activation_is_supported_or_declined():
    names = {n for n in dir(keras.activations) if not n.startswith("_")}
    names -= {"get", "serialize", "deserialize"}

    accounted = set(SUPPORTED) | set(DECLINED)

    assert names - accounted == set()


# Every supported name, ten per model, one output each named after its activation: a failing
# report names the output, and a compile costs seconds of fixed work whatever its size.
NAME_GROUPS = [SUPPORTED[k : k + 10] for k in range(0, len(SUPPORTED), 10)]


def _by_name(names):
    """Dense(activation=name) for every other name, Dense then Activation(name) for the rest."""

    def build(x):
        outputs = []
        for k, name in enumerate(names):
            if k % 2 == 0:
                outputs.append(layers.Dense(3, activation=name, name=name)(x))
            else:
                outputs.append(layers.Activation(name, name=name)(layers.Dense(3)(x)))
        return outputs

    return build


@pytest.mark.parametrize("names", NAME_GROUPS, ids=lambda names: f"{names[0]}..{names[-1]}")
def test_activation_by_name(names, tmp_path):
    model = _model({"x": (2, 5)}, _by_name(names))

    compile_and_verify(model, tmp_path)


def _relu_options(x):
    h = layers.Dense(4)(x)
    return [
        layers.ReLU(max_value=1.5, name="relu_max_value")(h),
        layers.ReLU(threshold=0.7, name="relu_threshold")(h),
        layers.ReLU(negative_slope=0.2, name="relu_negative_slope")(h),
        layers.ReLU(max_value=2.5, negative_slope=0.1, threshold=0.5, name="relu_all_three")(h),
        layers.ReLU(max_value=6.0, negative_slope=0.3, name="relu_6_with_slope")(h),
    ]


def _elementwise_ops(x):
    h = layers.Dense(4)(x)
    return [
        ops.gelu(h),  # keras.ops.gelu defaults to the tanh approximation
        ops.gelu(h, approximate=False),
        keras.activations.relu(h, negative_slope=0.2, max_value=1.0, threshold=-0.5),
        ops.hard_shrink(ops.soft_shrink(h, 0.8), 0.3),
        ops.celu(ops.elu(h, 0.4), 2.5),
        ops.squareplus(h, b=0.5),
        ops.threshold(h, 0.25, -3.0),
        ops.leaky_relu(h, 0.05),
    ]


def _parametric_layers(x):
    conv = layers.Conv2D(3, 2)(x)
    return [
        layers.LeakyReLU(negative_slope=0.15, name="leaky_relu")(conv),
        layers.ELU(alpha=0.6, name="elu_alpha")(conv),
        layers.PReLU(name="prelu")(conv),
        layers.PReLU(shared_axes=[1, 2], name="prelu_shared_axes")(conv),
    ]


def _softmax_axes(x):
    return [
        layers.Softmax(axis=1, name="axis_1")(x),
        layers.Softmax(axis=-2, name="negative_axis")(x),
        layers.Softmax(axis=(1, 3), name="two_axes")(x),
    ]


def _axis_ops(x):
    return [
        ops.glu(layers.Dense(4)(x), axis=-1),
        ops.log_softmax(layers.Dense(3)(x), axis=1),
        ops.sparsemax(layers.Dense(4)(x), axis=-1),
        ops.softmax(x, axis=None),
    ]


# Each case: {input name: shape} and, per input, what to build on it.
OPTION_CASES = {
    "relu_options_and_elementwise_ops": (
        {"a": (2, 5), "b": (2, 5)},
        [_relu_options, _elementwise_ops],
    ),
    "parametric_layers_and_softmax_axes": (
        {"c": (3, 4, 2), "d": (2, 2, 3)},
        [_parametric_layers, _softmax_axes],
    ),
    "ops_along_an_axis": ({"e": (2, 3)}, [_axis_ops]),
}


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
def test_activation_options_and_ops(case, tmp_path):
    shapes, builders = OPTION_CASES[case]
    model = _model(
        shapes,
        lambda *xs: [y for build, x in zip(builders, xs, strict=True) for y in build(x)],
    )

    compile_and_verify(model, tmp_path)


def test_extreme_inputs_stay_finite(tmp_path):
    """Where Keras is stable the workbook is too: no EXP overflows at |x| ≈ 1000."""
    inputs = keras.Input((5,), name="x")
    big = layers.Rescaling(500.0)(inputs)
    names = ["sigmoid", "silu", "softplus", "log_sigmoid", "mish", "elu", "selu", "celu", "gelu"]
    outputs = [layers.Activation(n, name=n)(big) for n in names]
    outputs += [layers.Softmax(name="softmax")(big), layers.Activation("log_softmax")(big)]
    model = keras.Model(inputs, outputs)

    compile_and_verify(model, tmp_path)


EXTREMES = np.array([-1000.0, -800.0, -40.0, -1e-9, 0.0, 1e-9, 40.0, 800.0, 1000.0])


@pytest.mark.parametrize("name", sorted(set(ELEMENTWISE) - {"threshold", "exponential"}))
def test_formula_matches_keras_in_float64(name):
    """The formula, evaluated in float64, matches Keras evaluated in float64, extremes included."""
    values = np.concatenate([np.linspace(-7, 7, 57), EXTREMES])

    got = _evaluate(ELEMENTWISE[name], values)

    want = keras.ops.convert_to_numpy(keras.activations.get(name)(values))
    # Keras has expm1, erfc and log1p where a workbook has EXP, ERF and LN: tiny values (e.g.
    # softplus(−40) ≈ 4e-18) differ by ~1e-17, inside atol. rtol 1e-6 because TensorFlow's
    # float64 gelu kernel is itself 4e-7 off the exact 0.5·x·erfc(−x/√2) at x = −4.5.
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-14)


def _evaluate(fn, values: np.ndarray) -> np.ndarray:
    program = Program()
    xs = program.add("x", "x", "input", values.shape, values=values)
    ys = program.add("y", "y", "compute", values.shape, exprs=[fn(Ref(int(i))) for i in xs.ids])
    return evaluate(program)[ys.ids]


def _blocks_after_passes(model):
    program = lower(build_graph(model), sample_for(model))
    run_passes(program)
    return [b for b in program.compute_blocks()]


def test_activation_reading_its_input_once_fuses_into_the_weighted_sums():
    model = _model({"x": (5,)}, layers.Dense(3, activation="sigmoid"))

    blocks = _blocks_after_passes(model)

    assert len(blocks) == 1


def test_activation_reading_its_input_twice_stays_a_block_of_its_own():
    """x·sigmoid(x) would have to repeat the SUMPRODUCT: fuse_activations declines."""
    model = _model({"x": (5,)}, layers.Dense(3, activation="silu"))

    blocks = _blocks_after_passes(model)

    assert [b.role for b in blocks] == ["linear", "output"]


@pytest.mark.parametrize(
    ("activation", "message"),
    [
        ("threshold", "activation 'threshold' is not supported: Keras gives it no default"),
        ("glu", "activation 'glu' is not supported: it halves its axis"),
    ],
)
def test_declined_activation_names_say_why(activation, message):
    inputs = keras.Input((4,), name="x")
    layer = layers.Dense(4, name="head")
    model = keras.Model(inputs, layer(inputs))
    # Keras cannot build a Dense with either; set it on the built layer, as a loaded file could.
    layer.activation = getattr(keras.activations, activation)

    with pytest.raises(UnsupportedModelError, match=r"layer 'head' \(Dense\): " + message):
        check_graph(build_graph(model))


def test_unknown_activation_function_is_named():
    def wobble(x):
        return x * 2.0

    inputs = keras.Input((4,), name="x")
    model = keras.Model(inputs, layers.Dense(3, activation=wobble, name="head")(inputs))

    with pytest.raises(UnsupportedModelError, match="activation 'wobble' is not supported"):
        check_graph(build_graph(model))
