"""What each target spreadsheet program allows: the tables the dialects differ in."""

from __future__ import annotations

from dataclasses import dataclass

from cnn2sheet.errors import OptionError


@dataclass(frozen=True)
class Target:
    """Limits and function names of one spreadsheet program."""

    name: str
    max_rows: int
    max_cols: int
    max_formula_chars: int
    max_nesting: int
    max_args: int
    max_cells: int | None
    functions: dict[str, str]  # IR function name → the target's name

    def function(self, name: str) -> str:
        try:
            return self.functions[name]
        except KeyError:
            raise OptionError(
                f"function {name} is not available for target '{self.name}'"
            ) from None


# The portable subset: every engine we verify with evaluates these alike (shared/ENGINES.md).
_PORTABLE = {
    n: n
    for n in (
        "SUMPRODUCT",
        "SUM",
        "MAX",
        "MIN",
        "EXP",
        "LN",
        "SQRT",
        "TANH",
        "ABS",
        "IF",
        "ERF",
        "INDEX",
    )
}

EXCEL = Target(
    name="excel",
    max_rows=1_048_576,
    max_cols=16_384,
    max_formula_chars=8_192,  # Excel rejects longer formulas
    max_nesting=64,
    max_args=255,
    max_cells=None,
    functions=_PORTABLE,
)

SHEETS = Target(
    name="sheets",
    max_rows=1_048_576,  # the .xlsx import is the way in, so Excel's grid applies too
    max_cols=16_384,
    max_formula_chars=8_192,  # kept at Excel's: the workbook is written as .xlsx
    max_nesting=64,
    max_args=255,
    max_cells=10_000_000,  # Google Sheets: 10 million cells per spreadsheet, all tabs
    functions=_PORTABLE,
)

TARGETS = {t.name: t for t in (EXCEL, SHEETS)}


def get_target(name: str) -> Target:
    """The target called ``name``; an unknown name is an :class:`OptionError`."""
    try:
        return TARGETS[name]
    except KeyError:
        raise OptionError(
            f"target '{name}' is not known (choose from {', '.join(TARGETS)})"
        ) from None
