"""The ladder of models the benchmark compiles and proves, in the order of issue #6.

The bundled fixtures are loaded as they are; the other models are built here with seeded random
weights (``keras.utils.set_random_seed(0)``) and saved as ``.keras`` files, so that every model
goes through the same ``load_model(path)`` the command line uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@dataclass(frozen=True)
class Case:
    """One rung of the ladder: a name, what it is, and how to get its model and sample."""

    name: str
    description: str
    fixture: str | None = None  # file name under fixtures/, or None for a built model
    sample: str | None = None  # fixture sample (.npy), or None for a seeded uniform image
    build: Callable | None = None  # keras module -> keras.Model, for a built model


def _lenet5(keras):
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1), name="image"),
            layers.Conv2D(6, 5, padding="same", activation="relu", name="c1"),
            layers.AveragePooling2D(2, name="s2"),
            layers.Conv2D(16, 5, activation="relu", name="c3"),
            layers.MaxPooling2D(2, name="s4"),
            layers.Flatten(name="flatten"),
            layers.Dense(120, activation="relu", name="f5"),
            layers.Dense(84, activation="relu", name="f6"),
            layers.Dense(10, activation="softmax", name="digits"),
        ],
        name="lenet5",
    )


def _cnn100k(keras):
    # 160 + 4,640 + 96,120 + 1,210 = 102,130 parameters; most of them in the first Dense.
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1), name="image"),
            layers.Conv2D(16, 3, activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(32, 3, activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(120, activation="relu", name="hidden"),
            layers.Dense(10, activation="softmax", name="digits"),
        ],
        name="cnn100k",
    )


def _mlp100k(keras):
    # 784·128 + 128·10 = 101,632 weights (+138 biases).
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1), name="image"),
            layers.Flatten(name="flatten"),
            layers.Dense(128, activation="relu", name="hidden"),
            layers.Dense(10, activation="softmax", name="digits"),
        ],
        name="mlp100k",
    )


LADDER: list[Case] = [
    Case(
        "sheets_cnn",
        "fixtures/sheets_cnn.keras: 28×28 CNN sized for Google Sheets",
        fixture="sheets_cnn.keras",
        sample="sheets_cnn_sample.npy",
    ),
    Case(
        "digits_cnn",
        "fixtures/digits_cnn.keras: 8×8 digits CNN",
        fixture="digits_cnn.keras",
        sample="digits_sample.npy",
    ),
    Case("lenet5", "LeNet-5 on 28×28×1, seeded random weights", build=_lenet5),
    Case("cnn100k", "CNN of ~100k parameters on 28×28×1, seeded", build=_cnn100k),
    Case("mlp100k", "MLP 784-128-10 (~100k weights), seeded", build=_mlp100k),
]
QUICK = ("sheets_cnn", "digits_cnn", "lenet5")


@dataclass(frozen=True)
class Prepared:
    """A ladder model on disk, its sample, and the facts the tables report about it."""

    case: Case
    path: Path
    sample: np.ndarray
    params: int
    neurons: int
    layers: list[tuple[str, str, tuple[int, ...]]]  # name, class, output shape
    softmax_layers: list[str]  # layers that end in a softmax (it needs helper cells)
    keras_output: np.ndarray  # model.predict of the sample, what every proof is compared with


# Layers whose outputs are views of their input (no neurons of their own).
_VIEWS = {"InputLayer", "Flatten", "Reshape", "Dropout", "Permute"}


def prepare(case: Case, folder: Path, keras) -> Prepared:
    """Save (or locate) ``case``'s model and sample; count its parameters and neurons."""
    if case.fixture:
        path = FIXTURES / case.fixture
        model = keras.saving.load_model(path, safe_mode=True)
    else:
        keras.utils.set_random_seed(0)
        model = case.build(keras)
        path = folder / f"{case.name}.keras"
        model.save(path)
    if case.sample:
        sample = np.load(FIXTURES / case.sample).astype(np.float32)
    else:
        shape = tuple(model.inputs[0].shape[1:])
        sample = np.random.default_rng(0).uniform(0.0, 1.0, shape).astype(np.float32)

    layers = [(lay.name, type(lay).__name__, tuple(lay.output.shape[1:])) for lay in model.layers]
    neurons = sum(math.prod(shape) for _, cls, shape in layers if cls not in _VIEWS)
    softmax = [lay.name for lay in model.layers if _is_softmax(lay)]
    predicted = np.asarray(model.predict(sample[None], verbose=0), dtype=np.float64)[0]
    params = int(model.count_params())
    return Prepared(case, path, sample, params, neurons, layers, softmax, predicted)


def _is_softmax(layer) -> bool:
    activation = getattr(layer, "activation", None)
    return type(layer).__name__ == "Softmax" or getattr(activation, "__name__", "") == "softmax"


def select(only: str | None, quick: bool) -> list[Case]:
    """The cases to run: one by name, the quick subset, or the whole ladder."""
    if only:
        found = [c for c in LADDER if c.name == only]
        if not found:
            names = ", ".join(c.name for c in LADDER)
            raise SystemExit(f"unknown model {only!r}; the ladder is: {names}")
        return found
    return [c for c in LADDER if c.name in QUICK] if quick else list(LADDER)
