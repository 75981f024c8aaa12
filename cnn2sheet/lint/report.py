"""What lint found: one :class:`Finding` per broken rule and place, gathered in a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cnn2sheet.formula.printer import quote_sheet


@dataclass(frozen=True)
class Finding:
    """One rule broken at one place: a cell, a whole sheet (``cell`` empty) or the workbook."""

    sheet: str
    cell: str
    rule: str
    severity: str  # "error": the target rejects it or shows an error; "warning": not portable
    message: str
    text: str = ""  # the offending formula text, shortened

    @property
    def where(self) -> str:
        """``sheet!cell`` (the sheet quoted as a formula would quote it), sheet or workbook."""
        if not self.sheet:
            return "workbook"
        return quote_sheet(self.sheet) + (f"!{self.cell}" if self.cell else "")

    def __str__(self) -> str:
        line = f"{self.where}: {self.severity} [{self.rule}] {self.message}"
        return f"{line}: {self.text}" if self.text else line


@dataclass
class LintReport:
    """Every finding for one workbook and target, with what was checked."""

    path: Path
    target: str
    formulas: int = 0
    sheets: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return sum(f.severity == "warning" for f in self.findings)

    @property
    def passed(self) -> bool:
        """True when nothing is an error (warnings allowed)."""
        return self.errors == 0

    def summary(self) -> str:
        """One line: counts of errors and warnings, and what was checked."""
        return (
            f"{self.path.name}: {_count(self.errors, 'error')}, "
            f"{_count(self.warnings, 'warning')} in {_count(self.formulas, 'formula')} "
            f"on {_count(self.sheets, 'sheet')} for {self.target}"
        )

    def to_text(self) -> str:
        """One line per finding, then the summary."""
        return "\n".join([*(str(f) for f in self.findings), self.summary()])


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
