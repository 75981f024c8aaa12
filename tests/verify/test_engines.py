"""The spreadsheet engines evaluate tiny workbooks exactly as numpy does.

Every workbook here is built with XlsxWriter in a temporary directory and kept
to a few dozen cells: loading in ``formulas`` costs milliseconds per cell.
"""

from __future__ import annotations

import math
import os
import zipfile

import numpy as np
import pytest
import xlsxwriter

from cnn2sheet.errors import OptionError
from cnn2sheet.verify.engines import (
    ENGINES,
    AddressError,
    EngineError,
    EngineUnavailable,
    UnknownNameError,
    WorkbookNames,
    available,
    open_session,
    parse_area,
    require,
)
from cnn2sheet.verify.engines.workbook_names import (
    Area,
    cell_ref,
    column_index,
    column_letters,
    quote_sheet,
)

RTOL = 1e-12
# ironcalc 0.9.1 computes ERF to about 1e-10 relative (measured: 8.9e-11 at x = -0.51);
# formulas and Gnumeric agree with math.erf to 2e-16.
ERF_RTOL = 1e-9
ERF_INDEX = 7

INPUT_SHEET = "in data"
MODEL_SHEET = "my model"
STORED_X = [0.5, -1.25, 2.0, 1.5, 0.75, -3.0]
STORED_LOGITS = [0.1, 2.0, -1.0]


# -- fixtures -----------------------------------------------------------------


def _need(name: str) -> str:
    """``name`` if the engine runs; a missing engine fails under CI and is skipped elsewhere."""
    try:
        require(name)
    except EngineUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"engine {name} is not available under CI: {exc}")
        pytest.skip(f"engine {name} is not available: {exc}")
    return name


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return _need(request.param)


def _d(cell: str) -> str:
    """A cell of the input sheet as written in a formula."""
    return f"{quote_sheet(INPUT_SHEET)}!{cell}"


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> str:
    """Inputs on one sheet, formulas on another, both names with a space."""
    path = tmp_path_factory.mktemp("engines") / "small model.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    data = wb.add_worksheet(INPUT_SHEET)
    model = wb.add_worksheet(MODEL_SHEET)
    for k, value in enumerate(STORED_X):
        data.write_number(k // 3, k % 3, value)
    for k, value in enumerate(STORED_LOGITS):
        data.write_number(3, k, value)
    wb.define_name("input_0", f"={quote_sheet(INPUT_SHEET)}!$A$1:$C$2")
    wb.define_name("input_1", f"={quote_sheet(INPUT_SHEET)}!$A$4:$C$4")

    row1 = [
        f"=SUMPRODUCT({_d('A1:C1')},{_d('A2:C2')})",
        f"=MAX({_d('A1:C2')})",
        f"=EXP({_d('A1')})",
        f"=MIN({_d('A1:C2')})",
        f"=TANH({_d('B1')})",
        f"=SQRT(ABS({_d('C2')}))",
        f"=IF({_d('A2')}>0,{_d('A2')},0)",
        f"=ERF({_d('B2')})",
        f"=LN(ABS({_d('A1')})+1)",
        f"={_d('A1')}^2-{_d('B1')}/({_d('C1')}+3)",
    ]
    for col, formula in enumerate(row1):
        model.write_formula(0, col, formula, None, 0)
    wb.define_name("output_0", f"={quote_sheet(MODEL_SHEET)}!$A$1:$J$1")

    # Softmax through helper cells, the portable way (no array sub-expressions).
    for col, letter in enumerate("ABC"):
        model.write_formula(2, col, f"={_d(letter + '4')}-MAX({_d('$A$4:$C$4')})", None, 0)
        model.write_formula(3, col, f"=EXP({letter}3)", None, 0)
        model.write_formula(4, col, f"={letter}4/$D$4", None, 0)
    model.write_formula(3, 3, "=SUM(A4:C4)", None, 0)
    wb.define_name("output_1", f"={quote_sheet(MODEL_SHEET)}!$A$5:$C$5")

    # Cells without a number: errors, text, an empty cell, and one input-dependent error.
    model.write_formula(6, 0, "=LN(-1)", None, 0)
    model.write_formula(6, 1, "=1/0", None, 0)
    model.write_string(6, 2, "text")
    model.write_formula(6, 4, "=A1*2", None, 0)
    model.write_formula(6, 5, f"=SQRT({_d('A1')})", None, 0)
    wb.define_name("bad", f"={quote_sheet(MODEL_SHEET)}!$A$7:$F$7")
    wb.close()
    return str(path)


def _expected(x: np.ndarray, logits: np.ndarray) -> dict[str, np.ndarray]:
    a = np.asarray(x, dtype=np.float64).reshape(2, 3)
    out0 = [
        a[0] @ a[1],
        a.max(),
        np.exp(a[0, 0]),
        a.min(),
        np.tanh(a[0, 1]),
        np.sqrt(abs(a[1, 2])),
        a[1, 0] if a[1, 0] > 0 else 0.0,
        math.erf(a[1, 1]),
        np.log(abs(a[0, 0]) + 1),
        a[0, 0] ** 2 - a[0, 1] / (a[0, 2] + 3),
    ]
    z = np.exp(np.asarray(logits, dtype=np.float64) - np.max(logits))
    return {"output_0": np.array(out0), "output_1": z / z.sum()}


def _assert_matches(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    exact = np.arange(want["output_0"].size) != ERF_INDEX
    np.testing.assert_allclose(got["output_0"][exact], want["output_0"][exact], rtol=RTOL)
    np.testing.assert_allclose(
        got["output_0"][ERF_INDEX], want["output_0"][ERF_INDEX], rtol=ERF_RTOL
    )
    np.testing.assert_allclose(got["output_1"], want["output_1"], rtol=RTOL)


def _samples(count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random inputs; the first has A1 > 0 (SQRT(A1) is a number), the second A1 < 0."""
    rng = np.random.default_rng(7)
    samples = [(rng.uniform(-2, 2, size=(2, 3)), rng.normal(size=3)) for _ in range(count)]
    for k, (x, _) in enumerate(samples[:2]):
        x[0, 0] = 1.7 if k == 0 else -0.3
    return samples


# -- numbers ------------------------------------------------------------------


def test_samples_through_one_session_match_numpy(engine, book):
    samples = _samples(3)

    with open_session(engine, book) as session:
        results = [
            session.evaluate({"input_0": x, "input_1": logits}, ["output_0", "output_1"])
            for x, logits in samples
        ]

    for (x, logits), got in zip(samples, results, strict=True):
        _assert_matches(got, _expected(x, logits))
        assert got["output_0"].dtype == np.float64 and got["output_0"].shape == (10,)


def test_inputs_read_back_as_the_same_doubles(engine, book):
    x = np.array([0.1234567890123456789, 1 / 3, 1e-300, -2.5e17, np.float32(0.1), -0.0])

    with open_session(engine, book) as session:
        got = session.evaluate({"input_0": x.reshape(2, 3)}, ["input_0", "'in data'!A1:C2"])

    np.testing.assert_array_equal(got["input_0"], x)
    np.testing.assert_array_equal(got["'in data'!A1:C2"], x)


def test_names_not_given_keep_their_stored_values(engine, book):
    x, logits = _samples(1)[0]

    with open_session(engine, book) as session:
        session.evaluate({"input_0": x, "input_1": logits}, ["output_1"])
        got = session.evaluate({}, ["output_0", "output_1"])

    _assert_matches(got, _expected(np.array(STORED_X), np.array(STORED_LOGITS)))


def test_explicit_ranges_are_targets(engine, book):
    x, logits = _samples(1)[0]
    targets = ["'my model'!$A$1:$B$1", "'MY MODEL'!c1", "'my model'!A5:C5"]

    with open_session(engine, book) as session:
        got = session.evaluate({"input_0": x, "input_1": logits}, targets)

    want = _expected(x, logits)
    np.testing.assert_allclose(got[targets[0]], want["output_0"][:2], rtol=RTOL)
    np.testing.assert_allclose(got[targets[1]], want["output_0"][2:3], rtol=RTOL)
    np.testing.assert_allclose(got[targets[2]], want["output_1"], rtol=RTOL)
    assert session.last_errors == {t: [] for t in targets}


# -- cells without a number ---------------------------------------------------


def test_cells_without_a_number_are_nan_and_recorded(engine, book):
    (x_pos, _), (x_neg, _) = _samples(2)

    with open_session(engine, book) as session:
        pos = session.evaluate({"input_0": x_pos}, ["bad", "output_0"])["bad"]
        pos_errors = session.last_errors
        neg = session.evaluate({"input_0": x_neg}, ["bad"])["bad"]
        neg_errors = session.last_errors

    a1_times_2 = 2 * (x_pos[0] @ x_pos[1])  # E7 is =A1*2, A1 the SUMPRODUCT
    assert np.isnan(pos[:4]).all()
    np.testing.assert_allclose(pos[4:], [a1_times_2, math.sqrt(x_pos[0, 0])], rtol=RTOL)
    assert pos_errors["bad"] == [
        ("'my model'!A7", "#NUM!"),
        ("'my model'!B7", "#DIV/0!"),
        ("'my model'!C7", "text 'text'"),
        ("'my model'!D7", "empty"),
    ]
    assert pos_errors["output_0"] == []
    assert np.isnan(neg[[0, 1, 2, 3, 5]]).all() and np.isfinite(neg[4])
    assert neg_errors["bad"][-1] == ("'my model'!F7", "#NUM!")


# -- apostrophes in sheet names -------------------------------------------------


@pytest.fixture(scope="module")
def apostrophe_book(tmp_path_factory) -> str:
    """Sheets named with an apostrophe and a space, next to the name formulas would pick."""
    path = tmp_path_factory.mktemp("apostrophe") / "bob's book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    data = wb.add_worksheet("Bob's data")
    wb.add_worksheet("Bob_s data").write_number(0, 0, 99.0)
    model = wb.add_worksheet("Bob's model")
    for k, value in enumerate(STORED_X):
        data.write_number(k // 3, k % 3, value)
    wb.define_name("input", "='Bob''s data'!$A$1:$C$2")
    model.write_formula(0, 0, "=SUMPRODUCT('Bob''s data'!A1:C1,'Bob''s data'!A2:C2)", None, 0)
    model.write_formula(0, 1, "=MAX('Bob''s data'!A1:C2)+'Bob_s data'!A1", None, 0)
    wb.define_name("output", "='Bob''s model'!$A$1:$B$1")
    wb.close()
    return str(path)


def test_sheet_names_with_an_apostrophe(engine, apostrophe_book):
    x = _samples(1)[0][0]

    with open_session(engine, apostrophe_book) as session:
        got = session.evaluate({"input": x}, ["output", "'Bob''s data'!A1:C2"])

    np.testing.assert_array_equal(got["'Bob''s data'!A1:C2"], x.ravel())
    if engine == "gnumeric":
        # Gnumeric's xlsx reader rejects 'Bob''s data'!A1: the formulas become errors.
        assert np.isnan(got["output"]).all()
        problems = [text for _, text in session.last_errors["output"]]
        assert all("could not parse" in text for text in problems), problems
    else:
        np.testing.assert_allclose(got["output"], [x[0] @ x[1], x.max() + 99.0], rtol=RTOL)


# -- errors -------------------------------------------------------------------


def test_unknown_name_lists_the_defined_names(engine, book):
    with open_session(engine, book) as session:
        with pytest.raises(KeyError, match=r"'nope'.*\['bad', 'input_0', 'input_1'"):
            session.evaluate({}, ["nope"])
        with pytest.raises(UnknownNameError, match="unknown defined name 'inptu_0'"):
            session.evaluate({"inptu_0": np.zeros(6)}, ["output_0"])


def test_wrong_input_size_names_input_and_sizes(engine, book):
    with open_session(engine, book) as session:
        with pytest.raises(ValueError, match=r"input 'input_0' .* 6 cells .* 5 values"):
            session.evaluate({"input_0": np.zeros(5)}, ["output_0"])
        with pytest.raises(ValueError, match="non-finite"):
            session.evaluate({"input_0": np.full(6, np.nan)}, ["output_0"])


def test_unreadable_workbook_is_an_engine_error(engine, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip file")

    with pytest.raises(EngineError, match=rf"{engine}.*broken\.xlsx"):
        open_session(engine, path)


def test_closed_session_refuses_to_evaluate(engine, book):
    session = open_session(engine, book)
    session.close()

    with pytest.raises(RuntimeError, match="closed"):
        session.evaluate({}, ["output_0"])


def test_gnumeric_failure_quotes_stderr(book):
    session = open_session(_need("gnumeric"), book)
    session._ssconvert = "false"  # exits 1 without output

    with pytest.raises(EngineError, match=r"gnumeric .*small model\.xlsx.*exited with 1"):
        session.evaluate({}, ["output_0"])
    session.close()


def test_missing_program_gives_install_hint(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")

    assert not available("gnumeric")
    with pytest.raises(EngineUnavailable, match="apt-get install gnumeric"):
        open_session("gnumeric", "any.xlsx")


def test_unknown_engine_is_an_option_error():
    with pytest.raises(OptionError, match="unknown engine 'excel'.*formulas, ironcalc, gnumeric"):
        available("excel")


# -- addresses and names (no engine) --------------------------------------------


@pytest.mark.parametrize(
    "text, area",
    [
        ("model!A1", Area("model", 1, 1, 1, 1)),
        ("'conv 1'!$C$5:$F$9", Area("conv 1", 5, 3, 9, 6)),
        ("='it''s'!B3:A1", Area("it's", 1, 1, 3, 2)),
        ("'a''''b'!$XFD$1048576", Area("a''b", 1048576, 16384, 1048576, 16384)),
    ],
)
def test_parse_area(text, area):
    assert parse_area(text) == area
    assert parse_area(area.address) == area


@pytest.mark.parametrize("text", ["A1", "model!A", "'open!A1", "model!A0", "model!XFE1", "a!A1:"])
def test_parse_area_rejects(text):
    with pytest.raises(AddressError):
        parse_area(text)


def test_columns_round_trip():
    for index in [1, 26, 27, 52, 702, 703, 16384]:
        assert column_index(column_letters(index)) == index
    assert column_letters(28) == "AB" and cell_ref(3, 2) == "B3"


def test_area_cells_are_row_major():
    area = parse_area("'s'!B2:C3")

    assert list(area.cells()) == [(2, 2), (2, 3), (3, 2), (3, 3)]
    assert area.shape == (2, 2) and area.size == 4 and area.address == "'s'!B2:C3"


def test_workbook_names_read_from_file(book):
    names = WorkbookNames.read(book)

    assert names.sheets == [INPUT_SHEET, MODEL_SHEET]
    assert names.resolve("OUTPUT_1") == Area(MODEL_SHEET, 5, 1, 5, 3)
    with pytest.raises(AddressError, match="needs a sheet"):
        names.resolve("B2:C3")
    with pytest.raises(AddressError, match="no sheet named 'nope'"):
        names.resolve("nope!A1")


def test_written_inputs_keep_the_rest_of_the_file(book, tmp_path):
    from cnn2sheet.verify.engines.xlsx_patch import PatchError, XlsxPatcher

    patcher = XlsxPatcher(book)
    out = tmp_path / "patched.xlsx"
    patcher.write(out, {INPUT_SHEET: {(1, 1): 0.1234567890123456789}})

    with zipfile.ZipFile(book) as a, zipfile.ZipFile(out) as b:
        assert a.namelist() == b.namelist()
        changed = [n for n in a.namelist() if a.read(n) != b.read(n)]
        assert changed == ["xl/worksheets/sheet1.xml"]
        assert b"<v>0.12345678901234568</v>" in b.read(changed[0])
    with pytest.raises(PatchError, match="hold nothing"):
        patcher.write(out, {INPUT_SHEET: {(9, 9): 1.0}})
