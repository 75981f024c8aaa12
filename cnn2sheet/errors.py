"""The one exception hierarchy of cnn2sheet.

Every error a user can cause (a bad file, an unsupported layer, an option out of range, a model
too large for the target) is a :class:`Cnn2SheetError`. The CLI prints its message without a
traceback and exits with :attr:`Cnn2SheetError.exit_code`.
"""

from __future__ import annotations


class Cnn2SheetError(Exception):
    """Root of every error cnn2sheet raises on purpose."""

    exit_code = 2


class ModelLoadError(Cnn2SheetError):
    """A model file is missing, unreadable, or not a Keras model."""


class SampleError(Cnn2SheetError):
    """A sample file is missing, unreadable, or does not fit the model's inputs."""


class UnsupportedModelError(Cnn2SheetError):
    """The model uses layers or options the compiler cannot lower.

    ``problems`` lists one line per offending layer, so a user sees all of them at once.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the model cannot be compiled ({count} {noun}):\n{lines}")


class OptionError(Cnn2SheetError):
    """An option given to the compiler or verifier is out of range."""


class TargetLimitError(Cnn2SheetError):
    """The workbook would exceed a limit of the target spreadsheet program."""


class WorkbookError(Cnn2SheetError):
    """A workbook is missing, unreadable, or does not follow the cnn2sheet contract."""


class FormulaSyntaxError(Cnn2SheetError):
    """A formula's text does not follow the grammar; the message points at the column."""

    def __init__(self, formula: str, position: int, reason: str):
        self.formula = formula
        self.position = position  # 0-based offset into ``formula``
        self.reason = reason
        super().__init__(
            f"cannot parse formula at column {position + 1}: {reason}\n{_caret(formula, position)}"
        )


_BLANKS = str.maketrans("\n\r\t", "   ")


def _caret(text: str, position: int, width: int = 72) -> str:
    """Two lines: ``text`` (a window of it, if long) and a caret under ``position``."""
    start = max(0, min(position - width // 2, len(text) - width))
    end = min(len(text), start + width)
    left = "…" if start > 0 else ""
    right = "…" if end < len(text) else ""
    # One character per column so the caret lines up: line breaks and tabs show as spaces.
    shown = left + text[start:end].translate(_BLANKS) + right
    return f"  {shown}\n  {' ' * (len(left) + position - start)}^"
