"""Many samples through one loaded workbook, with the worst case and its sample named."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from doctor import tiny_cnn
from keras import layers
from support import FIXTURES, require_engine, sample_for

from cnn2sheet import compile_model, verify
from cnn2sheet.backend.manifest import read_manifest
from cnn2sheet.cli import main
from cnn2sheet.verify.engines import parse_area
from cnn2sheet.verify.engines.xlsx_patch import XlsxPatcher

DIGITS = FIXTURES / "digits_cnn.keras"


@pytest.fixture(scope="module")
def digits_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("batch") / "digits.xlsx"
    compile_model(DIGITS, path, sample=FIXTURES / "digits_sample.npy")
    return path


def _count_calls(monkeypatch, owner, name: str) -> list:
    """Record every call of ``owner.name`` (still calling through); returns the record."""
    calls = []
    original = getattr(owner, name)

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def test_hundred_digits_in_one_ironcalc_session(digits_book, monkeypatch):
    require_engine("ironcalc")
    import ironcalc

    loads = _count_calls(monkeypatch, ironcalc, "load_from_xlsx")
    images = np.load(FIXTURES / "digits_test.npz")["x"]
    seen = []

    report = verify(
        DIGITS,
        digits_book,
        engine="ironcalc",
        sample=images,
        progress=lambda *args: seen.append(args),
    )

    assert report.passed, report.to_text()
    assert report.samples == 100 and len(loads) == 1
    assert seen == [("ironcalc", k, 100) for k in range(1, 101)]
    worst = report.worst_output.figures
    assert 0 <= worst.worst_sample < 100
    assert f"on sample {worst.worst_sample}:" in report.to_text()


def test_batch_npz_from_the_command_line(digits_book, monkeypatch, capsys):
    require_engine("ironcalc")
    import ironcalc

    loads = _count_calls(monkeypatch, ironcalc, "load_from_xlsx")
    args = ["verify", str(DIGITS), str(digits_book), "--engine", "ironcalc"]

    status = main([*args, "--input", str(FIXTURES / "digits_test.npz")])

    out = capsys.readouterr().out
    assert status == 0, out
    assert "with ironcalc on 100 sample(s)" in out and len(loads) == 1


def test_formulas_compiles_the_workbook_once_for_a_batch(monkeypatch, tmp_path):
    require_engine("formulas")
    import formulas

    model = tiny_cnn(seed=5)
    path = tmp_path / "tiny.xlsx"
    compile_model(model, path, sample=sample_for(model, seed=5)[0])
    batch = np.stack([sample_for(model, seed=s)[0] for s in range(4)])
    loads = _count_calls(monkeypatch, formulas.ExcelModel, "loads")
    compiles = _count_calls(monkeypatch, formulas.ExcelModel, "compile")

    report = verify(model, path, engine="formulas", sample=batch)

    assert report.passed, report.to_text()
    assert (report.samples, len(loads), len(compiles)) == (4, 1, 1)


def test_worst_case_names_its_sample(tmp_path):
    require_engine("ironcalc")
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, layers.Dense(2, name="fc")(inputs))
    kernel = np.array([[0.125, -0.25], [0.5, 0.75], [-1.0, 0.375]], dtype=np.float32)
    model.get_layer("fc").set_weights([kernel, np.array([0.0625, -0.125], dtype=np.float32)])
    path, doctored = tmp_path / "fc.xlsx", tmp_path / "fc_doctored.xlsx"
    compile_model(model, path)
    _set_weight(path, doctored, "fc/kernel", 0.125, 1.125)  # the weight of x[0] for unit 0
    batch = np.array([[0, 1, 2], [0, -1, 1], [1.5, 1, 0], [0, 2, -2]], dtype=np.float32)

    report = verify(model, doctored, engine="ironcalc", sample=batch)

    fc = report.first_divergence
    assert (fc.layer, fc.figures.worst_sample, fc.figures.worst_cell) == ("fc", 2, 0)
    assert fc.figures.sheet_value - fc.figures.keras_value == pytest.approx(1.5)
    assert report.worst_output.figures.worst_sample == 2
    assert "worst case: output output (fc), cell 'model'!" in report.to_text()


def _set_weight(path, dst, block: str, old: float, new: float) -> None:
    """Copy the workbook with the one cell of ``block`` holding ``old`` set to ``new``."""
    import openpyxl

    area = parse_area(next(e.range for e in read_manifest(path) if e.block == block))
    sheet = openpyxl.load_workbook(path, read_only=True)[area.sheet]
    rows = sheet.iter_rows(
        min_row=area.min_row, max_row=area.max_row, min_col=area.min_col, max_col=area.max_col
    )
    (cell,) = [c for row in rows for c in row if c.value == old]
    XlsxPatcher(path).write(dst, {area.sheet: {(cell.row, cell.column): new}})
