"""Custom layers: a registered lowering, a formula for a named layer, from Python and the CLI."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers
from support import compile_and_verify, randomize_weights, require_engine, sample_for

from cnn2sheet import register_layer
from cnn2sheet.cli import main
from cnn2sheet.errors import OptionError, UnsupportedModelError
from cnn2sheet.frontend import build_graph
from cnn2sheet.ir import Binary, Const, Ref
from cnn2sheet.lowering import check_graph
from cnn2sheet.lowering.activations import cell
from cnn2sheet.lowering.registry import REGISTRY, layers_markdown


@keras.saving.register_keras_serializable(package="cnn2sheet_tests")
class MyScale(layers.Layer):
    """x·scale + 1, with a learned scale per channel."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, x):
        return x * self.scale + 1.0


@keras.saving.register_keras_serializable(package="cnn2sheet_tests")
class Wobble(layers.Layer):
    """x·tanh(x) − x/2: elementwise, so a formula can stand for it."""

    def call(self, x):
        return x * keras.ops.tanh(x) - 0.5 * x


WOBBLE = "x*TANH(x)-0.5*x"


def lower_my_scale(op, inputs, builder):
    x = inputs[0]
    scale = builder.param("scale", np.asarray(op.layer.scale.numpy(), dtype=np.float64))
    exprs = [
        Binary("+", Binary("*", cell(i), Ref(int(s))), Const(1.0))
        for i, s in zip(x.ravel(), np.broadcast_to(scale, x.shape).ravel(), strict=True)
    ]
    return [builder.compute(x.shape, exprs)]


@pytest.fixture
def my_scale_registered():
    register_layer(MyScale, lower_my_scale, options="x·scale + 1")
    yield
    REGISTRY.pop("MyScale", None)


def _model(*stack, shape=(3, 4)):
    inputs = keras.Input(shape, name="x")
    x = inputs
    for layer in stack:
        x = layer(x)
    model = keras.Model(inputs, x)
    randomize_weights(model, 2)
    return model


def test_registered_lowering_compiles_a_custom_layer(my_scale_registered, tmp_path):
    model = _model(layers.Dense(3), MyScale(name="my_scale"), layers.Activation("tanh"))

    compile_and_verify(model, tmp_path)


def test_registered_lowerings_stay_out_of_the_layers_table(my_scale_registered):
    table = layers_markdown()

    assert "MyScale" not in table
    assert "| `Dense` |" in table


def test_formulas_for_named_layers(tmp_path):
    model = _model(
        layers.Dense(3),
        Wobble(name="wobble"),
        layers.Lambda(lambda t: 2 * t + 1, name="scale_up"),
    )

    compile_and_verify(model, tmp_path, formulas={"wobble": WOBBLE, "scale_up": "=2*x+1"})


def test_unknown_layer_class_says_how_to_provide_a_lowering():
    model = _model(layers.Dense(3), Wobble(name="wobble"))

    with pytest.raises(
        UnsupportedModelError,
        match=r"layer 'wobble' \(Wobble\): this layer class is not supported.*"
        r"cnn2sheet\.register_layer\('Wobble', lower_fn\).*--formula wobble=EXPR",
    ):
        check_graph(build_graph(model))


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("y+1", "uses the name 'y'; a layer formula may use x"),
        ("A1+x", "uses a cell reference"),
        ("LOG(x)", "uses function LOG"),
        ('x&"a"', "uses operator &"),
        ("IF(x>0,x)", "IF takes 3 argument"),
        ("2*(x", "cannot parse formula at column 5"),
    ],
)
def test_formula_errors_name_the_layer_and_the_fault(formula, message):
    graph = build_graph(_model(Wobble(name="wobble")))

    with pytest.raises(OptionError, match=rf"formula for layer 'wobble': .*{message}"):
        check_graph(graph, {"wobble": formula})


@pytest.mark.parametrize(
    ("formulas", "message"),
    [
        ({"nope": "x"}, "a formula is given for layer 'nope', but the model has no layer"),
        ({"dense": "x"}, r"layer 'dense' \(Dense\): a formula maps each value on its own, but"),
    ],
)
def test_formula_for_the_wrong_layer_is_refused(formulas, message):
    graph = build_graph(_model(layers.Flatten(), layers.Dense(3, name="dense")))

    with pytest.raises(UnsupportedModelError, match=message):
        check_graph(graph, formulas)


@pytest.fixture
def saved_wobble(tmp_path):
    model = _model(layers.Dense(3), Wobble(name="wobble"), layers.Dense(2))
    path = tmp_path / "wobble.keras"
    model.save(path)
    np.save(tmp_path / "sample.npy", sample_for(model)[0])
    return path


def test_cli_compiles_and_verifies_a_custom_layer_given_its_formula(saved_wobble, capsys):
    require_engine("gnumeric")
    workbook = saved_wobble.with_suffix(".xlsx")
    sample = saved_wobble.parent / "sample.npy"

    compiled = main(
        ["compile", str(saved_wobble), "-o", str(workbook), "--input", str(sample),
         "--formula", f"wobble={WOBBLE}"]
    )  # fmt: skip
    verified = [
        main(["verify", str(saved_wobble), str(workbook), "--engine", engine])
        for engine in ("formulas", "gnumeric")
    ]

    assert compiled == 0, capsys.readouterr().err
    assert verified == [0, 0], capsys.readouterr().out


def test_cli_without_the_formula_explains_the_flag(saved_wobble, capsys):
    status = main(["compile", str(saved_wobble), "-o", str(saved_wobble.with_suffix(".xlsx"))])

    assert status == 2
    assert "--formula wobble=EXPR" in capsys.readouterr().err


def test_cli_rejects_a_formula_without_a_name(saved_wobble, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compile", str(saved_wobble), "-o", "out.xlsx", "--formula", WOBBLE])

    assert exit_info.value.code == 2
    assert "expected NAME=EXPR" in capsys.readouterr().err
