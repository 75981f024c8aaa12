"""What each target spreadsheet program allows: the tables the dialects differ in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    # Every function the program has, and those an .xlsx must spell with the _xlfn. prefix
    # (Excel 2010 and later additions); lint checks formulas against these.
    known_functions: frozenset[str] = frozenset()
    prefixed_functions: frozenset[str] = frozenset()
    # The program's own limits, which lint checks. They are looser than the ones the compiler
    # keeps to where the program accepts more than the .xlsx we write for every target.
    program_max_cols: int | None = None
    program_max_formula_chars: int | None = None

    def function(self, name: str) -> str:
        try:
            return self.functions[name]
        except KeyError:
            raise OptionError(
                f"function {name} is not available for target '{self.name}'"
            ) from None


def _function_table() -> dict[str, frozenset[str]]:
    """data/functions.txt as {target tag: names}; the tag ``excel+`` marks _xlfn. functions."""
    table: dict[str, set[str]] = {"excel": set(), "excel+": set(), "sheets": set()}
    text = (Path(__file__).parent / "data" / "functions.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        for tag in words[1:]:
            table[tag].add(words[0])
    return {tag: frozenset(names) for tag, names in table.items()}


_FUNCTIONS = _function_table()

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
    known_functions=_FUNCTIONS["excel"] | _FUNCTIONS["excel+"],
    prefixed_functions=_FUNCTIONS["excel+"],
    program_max_cols=16_384,
    program_max_formula_chars=8_192,
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
    known_functions=_FUNCTIONS["sheets"],
    program_max_cols=18_278,  # Google Sheets' grid ends at column ZZZ
    program_max_formula_chars=50_000,  # Google Sheets: about 50,000 characters per cell
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
