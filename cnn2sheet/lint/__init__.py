"""Lint any .xlsx for a target spreadsheet program: functions, limits and the portable subset.

:func:`lint_workbook` parses every formula of a workbook (ordinary and array formulas, ours or
anyone's), checks each function against the target's table (:mod:`cnn2sheet.targets`), checks
the target's limits, and flags what falls outside the portable subset of shared/ENGINES.md.
"""

from cnn2sheet.lint.report import Finding, LintReport
from cnn2sheet.lint.rules import RULES
from cnn2sheet.lint.workbook import lint, lint_workbook

__all__ = ["RULES", "Finding", "LintReport", "lint", "lint_workbook"]
