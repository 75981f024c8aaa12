"""The bundled, really trained models compile and verify under every engine."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import FIXTURES, require_engine

from cnn2sheet import compile_model, verify
from cnn2sheet.cli import main


@pytest.fixture(scope="module")
def digits_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("digits") / "digits.xlsx"
    result = compile_model(
        FIXTURES / "digits_cnn.keras", path, sample=FIXTURES / "digits_sample.npy"
    )
    return result


@pytest.mark.parametrize("engine", ["formulas", "gnumeric", "ironcalc"])
def test_digits_workbook_matches_keras(digits_book, engine):
    require_engine(engine)

    report = verify(FIXTURES / "digits_cnn.keras", digits_book.path, engine=engine)

    assert report.passed, report.to_text()
    assert report.max_abs_error < 1e-6, report.to_text()


def test_digits_workbook_predicts_like_the_model_on_held_out_images(digits_book):
    test = np.load(FIXTURES / "digits_test.npz")

    report = verify(
        FIXTURES / "digits_cnn.keras", digits_book.path, engine="ironcalc", sample=test["x"][:20]
    )

    assert report.samples == 20
    assert report.passed, report.to_text()


def test_recorded_accuracy_is_real():
    record = json.loads((FIXTURES / "digits_cnn.json").read_text())

    assert record["dataset"] == "sklearn.datasets.load_digits"
    assert record["test_accuracy"] >= 0.95


@pytest.mark.parametrize("engine", ["gnumeric", "formulas"])
def test_google_sheets_shaped_cnn(tmp_path_factory, engine):
    require_engine(engine)
    path = tmp_path_factory.mktemp("sheets") / "sheets_cnn.xlsx"
    compile_model(FIXTURES / "sheets_cnn.keras", path, sample=FIXTURES / "sheets_cnn_sample.npy")

    report = verify(FIXTURES / "sheets_cnn.keras", path, engine=engine)

    assert report.passed, report.to_text()


def test_main_job_from_the_command_line(tmp_path, capsys):
    book = tmp_path / "digits.xlsx"

    compiled = main(
        [
            "compile",
            str(FIXTURES / "digits_cnn.keras"),
            "-o",
            str(book),
            "--input",
            str(FIXTURES / "digits_sample.npy"),
        ]
    )
    verified = main(
        ["verify", str(FIXTURES / "digits_cnn.keras"), str(book), "--engine", "ironcalc"]
    )

    out = capsys.readouterr().out
    assert (compiled, verified) == (0, 0)
    assert f"wrote {book}" in out
    assert "max abs error" in out and out.rstrip().endswith("PASS")
