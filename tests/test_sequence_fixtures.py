"""The bundled, really trained sequence models (a transformer block, a GRU) compile and verify."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import FIXTURES, require_engine

from cnn2sheet import compile_model, verify
from cnn2sheet.backend.manifest import read_manifest

ENGINES = ("ironcalc", "gnumeric")
MODELS = ("sort_transformer", "count_gru")


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sequence_fixtures")
    return {
        name: compile_model(
            FIXTURES / f"{name}.keras",
            folder / f"{name}.xlsx",
            sample=FIXTURES / f"{name}_sample.npy",
        )
        for name in MODELS
    }


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", MODELS)
def test_trained_sequence_model_matches_keras(books, name, engine):
    require_engine(engine)

    report = verify(FIXTURES / f"{name}.keras", books[name].path, engine=engine)

    assert report.passed, report.to_text()


def test_trained_models_predict_like_keras_on_held_out_sequences(books):
    require_engine("ironcalc")
    test = np.load(FIXTURES / "count_gru_test.npz")

    report = verify(
        FIXTURES / "count_gru.keras",
        books["count_gru"].path,
        engine="ironcalc",
        sample=test["x"][:20],
    )

    assert report.samples == 20
    assert report.passed, report.to_text()


def test_transformer_workbook_holds_the_attention_weights(books):
    entries = read_manifest(books["sort_transformer"].path)

    weights = [e for e in entries if e.layer == "attention" and e.role == "attention weights"]

    assert len(weights) == 1
    assert weights[0].cls == "MultiHeadAttention"
    assert weights[0].shape == (2 * 5, 5)  # each head's 5×5 matrix, stacked


def test_transformer_stays_small(books):
    assert books["sort_transformer"].formula_cells < 3_000
    assert books["count_gru"].formula_cells < 1_500


@pytest.mark.parametrize("name", MODELS)
def test_recorded_accuracy_is_real(name):
    record = json.loads((FIXTURES / f"{name}.json").read_text())

    assert record["test_size"] == 2_000
    assert record["test_accuracy"] >= 0.95


def test_recurrent_model_in_the_compact_layout(tmp_path):
    require_engine("ironcalc")
    path = tmp_path / "count_gru_compact.xlsx"
    compile_model(
        FIXTURES / "count_gru.keras",
        path,
        sample=FIXTURES / "count_gru_sample.npy",
        layout="compact",
    )

    report = verify(FIXTURES / "count_gru.keras", path, engine="ironcalc")

    assert report.passed, report.to_text()
