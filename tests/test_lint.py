"""cnn2sheet lint: compiled workbooks pass for both targets; doctored ones fail at the cell."""

from __future__ import annotations

import re

import keras
import pytest
import xlsxwriter
from keras import layers
from support import FIXTURES, randomize_weights, sample_for

from cnn2sheet import compile_model
from cnn2sheet.cli import main
from cnn2sheet.lint import lint, lint_workbook


def _cnn():
    inputs = keras.Input((6, 5, 2), name="image")
    x = layers.Conv2D(2, 3, activation="relu", name="conv")(inputs)
    x = layers.AveragePooling2D(2, name="pool")(x)
    x = layers.Flatten(name="flat")(x)
    x = layers.Dense(4, activation="sigmoid", name="hidden")(x)
    x = layers.Dense(3, activation="softmax", name="probs")(x)
    model = keras.Model(inputs, x)
    randomize_weights(model, seed=5)
    return model


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """Workbooks the compiler writes: a small CNN per target and the bundled digits CNN."""
    folder = tmp_path_factory.mktemp("compiled")
    model = _cnn()
    paths = {}
    for target in ("excel", "sheets"):
        paths[target] = folder / f"cnn_{target}.xlsx"
        compile_model(model, paths[target], sample=sample_for(model)[0], target=target)
    paths["digits"] = folder / "digits.xlsx"
    compile_model(FIXTURES / "digits_cnn.keras", paths["digits"])
    return paths


COMPILED_CASES = [
    ("excel", "excel"),
    ("sheets", "sheets"),
    ("digits", "excel"),
    ("digits", "sheets"),
]


@pytest.mark.parametrize("workbook, target", COMPILED_CASES)
def test_compiled_workbooks_have_no_findings(compiled, workbook, target):
    report = lint(compiled[workbook], target)

    assert report.formulas > 0
    assert report.findings == [], report.to_text()


LONG = "=" + "+".join(["A1"] * 2_800)  # 8,399 characters: over Excel's 8,192, under Sheets'
DEEP = "=" + "ABS(" * 65 + "A1" + ")" * 65  # Excel allows 64 nested levels
WIDE = "=SUM(" + ",".join(["A1"] * 256) + ")"  # Excel allows 255 arguments

# cell → (formula, findings for excel, findings for sheets); a finding is (rule, severity).
DOCTORED = {
    "B1": ("=FOOBAR(A1)", [("unknown-function", "error")], [("unknown-function", "error")]),
    "B2": (LONG, [("formula-length", "error")], []),
    "B3": (DEEP, [("nesting", "error")], [("nesting", "error")]),
    "B4": ("=SUM(EXP(A1:A3))", [("array-subexpression", "error")],
           [("array-subexpression", "error")]),
    "B5": ("=MAX(A1:A3*2)", [("array-subexpression", "error")],
           [("array-subexpression", "error")]),
    "B6": ("=SUMPRODUCT(EXP(A1:A3))", [("array-subexpression", "warning")],
           [("array-subexpression", "warning")]),
    "B7": ("=LET(x,A1,x+1)",
           [("not-portable", "warning"), ("xlfn-prefix", "error"), ("xlfn-prefix", "error")],
           [("not-portable", "warning")]),
    "B8": ("=_xlfn.LET(_xlpm.x,A1,_xlpm.x+1)", [("not-portable", "warning")],
           [("not-portable", "warning")]),
    "B9": ("=STDEV.S(A1:A3)", [("xlfn-prefix", "error")], []),
    "B10": ("=nosuchname+1", [("unknown-name", "error")], [("unknown-name", "error")]),
    "B11": ("=SUM(x)", [], []),
    "B12": ("=EXP(x)", [("array-subexpression", "error")], [("array-subexpression", "error")]),
    "B13": ("=Table1[col]", [("parse", "warning")], [("parse", "warning")]),
    "B14": (WIDE, [("arguments", "error")], [("arguments", "error")]),
    "B15": ("=ARRAYFORMULA(A1:A3*2)",
            [("array-subexpression", "warning"), ("unknown-function", "error")],
            [("array-subexpression", "warning")]),
    "B16": ("=-A1^2+SUMPRODUCT(A1:A3,A1:A3)", [], []),
    # One shape, checked again when its range grows from one cell to several.
    "B18": ("=EXP(A2:A2)", [], []),
    "B19": ("=EXP(A1:A3)", [("array-subexpression", "error")], [("array-subexpression", "error")]),
}  # fmt: skip
ARRAY_FORMULA = "{=SUM(EXP(A1:A3))}"  # at B17: arrays are at home in a CSE formula


@pytest.fixture(scope="module")
def doctored(tmp_path_factory):
    """A workbook written with XlsxWriter that breaks one rule (or none) per cell."""
    path = tmp_path_factory.mktemp("doctored") / "doctored.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("data sheet")
    for row, value in enumerate((1.0, 2.0, 3.0)):
        sheet.write_number(row, 0, value)
    for cell, (formula, _, _) in DOCTORED.items():
        sheet.write_formula(cell, formula, None, 0)
    sheet.write_array_formula("B17:B17", ARRAY_FORMULA)
    book.define_name("x", "='data sheet'!$A$1:$A$3")
    book.close()
    return path


@pytest.mark.parametrize("target", ["excel", "sheets"])
def test_doctored_workbook_findings_name_each_cell(doctored, target):
    column = 1 if target == "excel" else 2
    expected = {cell: sorted(row[column]) for cell, row in DOCTORED.items() if row[column]}

    findings = lint_workbook(doctored, target)

    found: dict[str, list] = {}
    for finding in findings:
        assert finding.sheet == "data sheet"
        found.setdefault(finding.cell, []).append((finding.rule, finding.severity))
    assert {cell: sorted(rules) for cell, rules in found.items()} == expected


def test_finding_line_quotes_place_rule_and_text(doctored):
    findings = lint_workbook(doctored, "excel")

    lines = [str(f) for f in findings]

    assert "'data sheet'!B1: error [unknown-function] excel has no function FOOBAR: FOOBAR(A1)" in (
        lines
    )
    long_line = next(line for line in lines if "[formula-length]" in line)
    assert long_line.startswith("'data sheet'!B2: error [formula-length] 8,399 characters; ")
    assert long_line.endswith("…") and len(long_line) < 200


def test_cli_exit_codes_and_format(compiled, doctored, capsys):
    clean = main(["lint", str(compiled["excel"])])
    clean_out = capsys.readouterr().out.splitlines()
    dirty = main(["lint", str(doctored), "--target", "sheets"])
    dirty_out = capsys.readouterr().out.splitlines()
    missing = main(["lint", str(doctored.parent / "missing.xlsx")])
    missing_err = capsys.readouterr().err

    assert clean == 0
    assert len(clean_out) == 1
    assert re.fullmatch(
        r"cnn_excel\.xlsx: 0 errors, 0 warnings in [\d,]+ formulas on \d+ sheets? for excel",
        clean_out[0],
    )
    assert dirty == 1
    summary = "doctored.xlsx: 8 errors, 5 warnings in 19 formulas on 1 sheet for sheets"
    assert dirty_out[-1] == summary
    assert all(line.startswith("'data sheet'!B") for line in dirty_out[:-1])
    assert missing == 2
    assert "workbook" in missing_err and "does not exist" in missing_err


def test_warnings_alone_exit_zero(tmp_path, capsys):
    path = tmp_path / "let.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet().write_formula("A1", "=_xlfn.LET(_xlpm.x,2,_xlpm.x+1)", None, 3)
    book.close()

    status = main(["lint", str(path)])

    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert out[0].startswith("Sheet1!A1: warning [not-portable] LET is outside")
    assert out[1] == "let.xlsx: 0 errors, 1 warning in 1 formula on 1 sheet for excel"


def test_sheet_limits(tmp_path):
    import openpyxl

    path = tmp_path / "limits.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "wide"
    sheet.cell(row=1, column=16_386, value=1.0)  # XFF: past Excel's XFD, inside Sheets' ZZZ
    sheet.cell(row=700_000, column=1, value=1.0)  # 700,000 × 16,386 cells: past Sheets' 10M
    book.save(path)

    excel = [(f.where, f.rule) for f in lint_workbook(path, "excel")]
    sheets = [(f.where, f.rule) for f in lint_workbook(path, "sheets")]

    assert excel == [("wide", "sheet-size")]
    assert sheets == [("workbook", "total-cells")]


def test_long_operator_chains_are_checked_without_recursion(tmp_path):
    # 16,000 terms: under Sheets' 50,000 characters, far deeper than Python's recursion limit.
    path = tmp_path / "chain.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_number("A1", 1.0)
    sheet.write_formula("B1", "=" + "+".join(["A1"] * 16_000), None, 16_000)
    sheet.write_formula("B2", "=" + "+".join(["A1:A2"] * 8_000), None, 0)
    book.close()

    excel = [(f.cell, f.rule) for f in lint_workbook(path, "excel")]
    sheets = [(f.cell, f.rule) for f in lint_workbook(path, "sheets")]

    assert excel == [
        ("B1", "formula-length"),
        ("B2", "formula-length"),
        ("B2", "array-subexpression"),
    ]
    assert sheets == [("B2", "array-subexpression")]
