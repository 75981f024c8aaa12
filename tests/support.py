"""Helpers for equivalence tests: build small seeded models, compile, verify, compare."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cnn2sheet import compile_model, verify
from cnn2sheet.verify.engines import available

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def require_engine(engine: str) -> None:
    """Skip when ``engine`` is missing on a developer's machine; fail in CI (CI is set)."""
    if available(engine):
        return
    message = f"engine {engine} is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def sample_for(model, seed: int = 0, low: float = -2.0, high: float = 2.0) -> list[np.ndarray]:
    """One random sample per model input, uniform in [low, high), without the batch axis."""
    rng = np.random.default_rng(seed)
    return [
        rng.uniform(low, high, size=tuple(t.shape[1:])).astype(np.float32) for t in model.inputs
    ]


def randomize_weights(model, seed: int = 0, scale: float = 0.5) -> None:
    """Give every weight a seeded random value (biases included, BatchNorm variances > 0)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for w in layer.weights:
            shape = tuple(w.shape)
            if "variance" in w.path:
                values.append(rng.uniform(0.5, 1.5, size=shape).astype(np.float32))
            else:
                values.append(rng.normal(0.0, scale, size=shape).astype(np.float32))
        if values:
            layer.set_weights(values)


def stacked_model(input_shape, *stack, seed: int = 0):
    """A one-input model applying the layers ``stack`` in turn, with seeded random weights."""
    import keras

    inputs = keras.Input(input_shape, name="x")
    x = inputs
    for layer in stack:
        x = layer(x)
    model = keras.Model(inputs, x)
    randomize_weights(model, seed)
    return model


def compile_and_verify(
    model,
    tmp_path: Path,
    *,
    engines=("formulas", "gnumeric"),
    samples=None,
    seed: int = 0,
    name: str = "model",
    **options,
):
    """Compile ``model`` with a seeded sample and verify it under each engine.

    Returns ``{engine: VerifyReport}``; asserts every report passed, with the report's text as
    the failure message so a failure shows the real error figures.
    """
    samples = samples if samples is not None else sample_for(model, seed)
    path = tmp_path / f"{name}.xlsx"
    compile_model(model, path, sample=samples if len(samples) > 1 else samples[0], **options)
    reports = {}
    for engine in engines:
        require_engine(engine)
        report = verify(model, path, engine=engine)
        assert report.passed, report.to_text()
        reports[engine] = report
    return reports
