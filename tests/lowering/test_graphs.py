"""Graph shapes: nested models, shared layers, several inputs and outputs."""

from __future__ import annotations

import keras
from keras import layers
from support import compile_and_verify, randomize_weights, sample_for

from cnn2sheet.frontend import build_graph


def _randomize(model, seed=0):
    randomize_weights(model, seed)
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            _randomize(layer, seed + 1)


def _nested_model():
    """A Sequential inside a Functional inside the model, and a two-output Functional used
    twice: on the nested stack's output and on a Dense of it."""
    stack = keras.Sequential(
        [
            keras.Input((5,)),
            layers.Dense(4, activation="relu", name="first"),
            layers.Dense(3, name="second"),
        ],
        name="stack",
    )
    inner_in = keras.Input((5,))
    squash = layers.Dense(3, activation="tanh", name="squash")
    block = keras.Model(inner_in, squash(stack(inner_in)), name="block")
    head_in = keras.Input((3,))
    head = keras.Model(
        head_in,
        [layers.Dense(2, name="left")(head_in), layers.Dense(1, name="right")(head_in)],
        name="head",
    )

    x = keras.Input((5,), name="x")
    features = block(x)
    a, b = head(features)
    c, d = head(layers.Dense(3, name="mid")(features))
    model = keras.Model(x, [layers.Concatenate(name="joined")([a, b, c]), d])
    _randomize(model)
    return model


def test_nested_models_are_inlined_with_scoped_names():
    model = _nested_model()

    graph = build_graph(model)

    assert [op.name for op in graph.ops if op.cls != "InputLayer"] == [
        "block/stack/first",
        "block/stack/second",
        "block/squash",
        "head/left",
        "head/right",
        "mid",
        "head#2/left",
        "head#2/right",
        "joined",
    ]


def test_nested_models(tmp_path):
    model = _nested_model()

    compile_and_verify(model, tmp_path)


def test_nested_model_from_a_saved_file(tmp_path):
    model = _nested_model()
    path = tmp_path / "nested.keras"
    model.save(path)

    compile_and_verify(str(path), tmp_path, samples=sample_for(model))


def _shared_layers_model():
    """One Dense applied to two inputs, its output both a model output and read further on."""
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = layers.Dense(3, activation="tanh", name="shared")
    sa, sb = shared(a), shared(b)
    total = layers.Add(name="total")([sa, sb])
    head = layers.Dense(2, activation="softmax", name="head")(total)
    model = keras.Model([a, b], [head, sa, total])
    _randomize(model, 5)
    return model


def test_a_shared_layer_is_one_op_per_application():
    graph = build_graph(_shared_layers_model())

    shared = [op for op in graph.ops if op.name == "shared"]

    assert len(shared) == 2
    assert shared[0].layer is shared[1].layer
    assert shared[0].inputs[0].key != shared[1].inputs[0].key


def test_shared_layers_several_inputs_and_outputs(tmp_path):
    model = _shared_layers_model()

    compile_and_verify(model, tmp_path)
