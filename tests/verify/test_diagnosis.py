"""verify compares every layer with Keras and names the first one that departs from it."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from doctor import block_area, doctor, tiny_cnn
from support import require_engine, sample_for

from cnn2sheet import compile_model, verify
from cnn2sheet.cli import main
from cnn2sheet.testing import assert_workbook_matches
from cnn2sheet.verify.engines import ENGINES, parse_area
from cnn2sheet.verify.report import TOLERANCE_RULE


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The tiny CNN, its workbook, and copies with conv's kernel or head's bias changed."""
    folder = tmp_path_factory.mktemp("diagnosis")
    model = tiny_cnn()
    model.save(folder / "tiny.keras")
    good = folder / "tiny.xlsx"
    compile_model(model, good, sample=sample_for(model)[0])
    conv, head = folder / "conv_doctored.xlsx", folder / "head_doctored.xlsx"
    return SimpleNamespace(
        model=model,
        model_path=folder / "tiny.keras",
        good=good,
        conv=conv,
        conv_cells=doctor(good, conv, "conv/kernel"),
        head=head,
        # One bias: adding the same to every weight of a softmax layer would change nothing.
        head_cells=doctor(good, head, "head/bias", delta=2.0, count=1),
    )


def _inside(address: str, block_range) -> bool:
    cell = parse_area(address)
    return (
        block_range.min_row <= cell.min_row <= block_range.max_row
        and block_range.min_col <= cell.min_col <= block_range.max_col
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_untouched_workbook_passes_layer_by_layer(books, engine):
    require_engine(engine)

    report = verify(books.model, books.good, engine=engine)

    assert report.passed, report.to_text()
    assert [(la.layer, la.compared) for la in report.layers] == [
        ("conv", True),
        ("pool", True),
        ("flatten", False),
        ("head", True),
    ]
    assert report.diagnosis() == ""
    assert all(la.figures.max_abs_error < 1e-5 for la in report.layers if la.compared)
    assert report.self_check.verdict == "PASS"  # the Check sheet, recalculated by the engine


@pytest.mark.parametrize("engine", ENGINES)
def test_doctored_weights_are_traced_to_their_layer(books, engine):
    require_engine(engine)

    report = verify(books.model, books.conv, engine=engine)

    first = report.first_divergence
    assert not report.passed
    assert (first.layer, first.cls) == ("conv", "Conv2D")
    assert _inside(first.figures.worst_address, block_area(books.good, "conv"))
    assert first.figures.sheet_value != pytest.approx(first.figures.keras_value, abs=1e-3)
    pattern = (
        rf"layer 'conv' \(Conv2D\) is the first to diverge from Keras \({engine}, 1 sample"
        rf".* cell {re.escape(first.figures.worst_address)} on sample 0: "
        rf"sheet {re.escape(repr(first.figures.sheet_value))} "
        rf"vs keras {re.escape(repr(first.figures.keras_value))}"
    )
    assert re.search(pattern, report.diagnosis()), report.diagnosis()


def test_only_the_layers_after_the_doctored_one_diverge(books):
    require_engine("ironcalc")

    report = verify(books.model, books.head, engine="ironcalc")

    verdicts = {la.layer: la.passed for la in report.layers if la.compared}
    assert verdicts == {"conv": True, "pool": True, "head": False}
    assert report.first_divergence.layer == "head"
    assert "diagnosis: layer 'head' (Dense) is the first to diverge" in report.to_text()


def test_layers_without_cells_of_their_own_say_why(books):
    require_engine("ironcalc")

    report = verify(books.model, books.good, engine="ironcalc")

    flatten = next(la for la in report.layers if la.layer == "flatten")
    assert flatten.skipped.startswith("no cells of its own")
    assert "flatten  Flatten" in report.to_text() and "not compared: no cells" in report.to_text()


def test_assert_workbook_matches_raises_the_diagnosis(books):
    require_engine("ironcalc")

    passed = assert_workbook_matches(books.model, books.good, engine="ironcalc")
    with pytest.raises(AssertionError, match=r"^layer 'conv' \(Conv2D\) is the first to diverge"):
        assert_workbook_matches(books.model, books.conv, engine="ironcalc")

    assert passed.passed


def test_json_report_lists_every_layer(books, capsys):
    require_engine("ironcalc")

    status = main(
        ["verify", str(books.model_path), str(books.conv), "--engine", "ironcalc", "--json"]
    )

    data = json.loads(capsys.readouterr().out)
    assert status == 1 and data["passed"] is False
    assert data["first_divergence"] == "conv"
    assert [la["layer"] for la in data["layers"]] == ["conv", "pool", "flatten", "head"]
    conv = data["layers"][0]
    assert conv["class"] == "Conv2D" and conv["passed"] is False and conv["max_abs_error"] > 0.1
    assert data["layers"][2]["max_abs_error"] is None and data["layers"][2]["skipped"]
    assert data["outputs"][0]["worst_address"].startswith("'model'!")


def test_every_engine_at_once_from_the_command_line(books, capsys):
    for engine in ENGINES:
        require_engine(engine)

    status = main(["verify", str(books.model_path), str(books.good), "--engine", "all"])

    out = capsys.readouterr().out
    assert status == 0, out
    assert [line for line in out.splitlines() if line.startswith("verified ")] == [
        f"verified {books.good} with {engine} on 1 sample(s)" for engine in ENGINES
    ]
    assert f"engines: {', '.join(f'{e} PASS' for e in ENGINES)}" in out


def test_missing_engine_says_how_to_install_it(books, monkeypatch, capsys):
    monkeypatch.setenv("CNN2SHEET_UNO_PYTHON", "/nonexistent/python3")

    status = main(["verify", str(books.model_path), str(books.good), "--engine", "libreoffice"])

    err = capsys.readouterr().err
    assert status == 2
    assert "apt-get install libreoffice-calc-nogui python3-uno" in err


def test_tolerance_rule_and_defaults_are_stated(books, capsys):
    require_engine("ironcalc")

    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    report = verify(books.model, books.good, engine="ironcalc", rtol=1e-3, atol=1e-6)

    assert TOLERANCE_RULE in help_text
    assert "rtol=0.0001, atol=0.0001" in help_text
    assert f"{TOLERANCE_RULE}; rtol=0.001, atol=1e-06" in report.to_text()
