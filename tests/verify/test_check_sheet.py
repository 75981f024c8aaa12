"""The Check sheet: the workbook compares itself with Keras and shows PASS or FAIL."""

from __future__ import annotations

import re
import warnings
from types import SimpleNamespace

import numpy as np
import openpyxl
import pytest
from doctor import doctor, tiny_cnn
from support import require_engine, sample_for

from cnn2sheet import compile_model, verify
from cnn2sheet.backend.check_sheet import CHECK_LAYER, CHECK_SHEET, EXPECTED, SAMPLE, VERDICT
from cnn2sheet.backend.manifest import read_manifest
from cnn2sheet.verify.engines import open_session, parse_area


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("check")
    model = tiny_cnn(seed=3)
    sample = sample_for(model, seed=3)[0]
    good = folder / "checked.xlsx"
    compile_model(model, good, sample=sample)
    doctored = folder / "doctored.xlsx"
    doctor(good, doctored, "conv/kernel")
    return SimpleNamespace(model=model, sample=sample, good=good, doctored=doctored)


def _check_range(path, role: str) -> str:
    return next(e.range for e in read_manifest(path) if e.layer == CHECK_LAYER and e.role == role)


def _cells(path, address: str, *, data_only: bool) -> list:
    area = parse_area(address)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, data_only=data_only)
    rows = book[area.sheet].iter_rows(
        min_row=area.min_row, max_row=area.max_row, min_col=area.min_col, max_col=area.max_col
    )
    return [cell.value for row in rows for cell in row]


def test_check_sheet_holds_the_sample_keras_outputs_and_a_verdict(books):
    keras_output = books.model.predict(books.sample[None], verbose=0)[0]

    expected = _cells(books.good, _check_range(books.good, EXPECTED), data_only=True)
    sample = _cells(books.good, _check_range(books.good, SAMPLE), data_only=True)
    formula = _cells(books.good, _check_range(books.good, VERDICT), data_only=False)
    cached = _cells(books.good, _check_range(books.good, VERDICT), data_only=True)

    # Constants are stored with 16 significant digits (XlsxWriter): within 1e-15 relative.
    np.testing.assert_allclose(expected, keras_output.astype(np.float64), rtol=1e-15, atol=0)
    np.testing.assert_allclose(sample, books.sample.astype(np.float64).ravel(), rtol=1e-15, atol=0)
    assert re.fullmatch(r'=IF\(MAX\([A-Z]+\d+:[A-Z]+\d+\)<=0,"PASS","FAIL"\)', formula[0])
    assert cached == ["PASS"]


def test_check_formulas_stay_in_the_portable_subset(books):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sheet = openpyxl.load_workbook(books.good)[CHECK_SHEET]

    formulas = [c.value for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    functions = {name for f in formulas for name in re.findall(r"([A-Z]+)\(", f)}

    assert functions == {"IF", "MAX", "ABS"}
    # No array sub-expression: ABS only ever wraps single cells, never a range.
    assert not any(re.search(r"ABS\([^)]*:", f) for f in formulas)


def test_libreoffice_reads_pass_and_turns_to_fail_when_the_input_changes(books):
    require_engine("libreoffice")
    verdict = _check_range(books.good, VERDICT)
    address = parse_area(verdict).cell_address(*parse_area(verdict).cells().__next__())

    with open_session("libreoffice", books.good) as session:
        session.evaluate({}, [verdict])
        stored = session.last_errors[verdict]
        session.evaluate({"input": books.sample + 0.25}, [verdict])
        changed = session.last_errors[verdict]
        session.evaluate({}, [verdict])
        restored = session.last_errors[verdict]

    assert stored == restored == [(address, "text 'PASS'")]
    assert changed == [(address, "text 'FAIL'")]


def test_libreoffice_reads_fail_after_a_doctored_weight(books):
    require_engine("libreoffice")
    verdict = _check_range(books.doctored, VERDICT)

    with open_session("libreoffice", books.doctored) as session:
        session.evaluate({}, [verdict])

    assert [text for _, text in session.last_errors[verdict]] == ["text 'FAIL'"]


def test_verify_reports_what_the_check_sheet_shows(books):
    require_engine("ironcalc")

    good = verify(books.model, books.good, engine="ironcalc")
    doctored = verify(books.model, books.doctored, engine="ironcalc")
    batch = verify(books.model, books.good, engine="ironcalc", sample=books.sample[None])

    assert good.self_check.verdict == "PASS"
    assert good.self_check.max_deviation == pytest.approx(good.max_abs_error, abs=1e-12)
    assert doctored.self_check.verdict == "FAIL"
    assert "the workbook's Check sheet says FAIL" in doctored.to_text()
    assert batch.self_check is None  # given samples: the Check sheet speaks for its own only


def test_no_check_sheet_on_request(books, tmp_path):
    require_engine("ironcalc")
    path = tmp_path / "unchecked.xlsx"

    result = compile_model(books.model, path, sample=books.sample, check=False)
    report = verify(books.model, path, engine="ironcalc")

    assert CHECK_SHEET not in openpyxl.load_workbook(path, read_only=True).sheetnames
    assert result.sheets == 1
    assert report.passed and report.self_check is None
