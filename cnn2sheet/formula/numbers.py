"""The one number formatter: the shortest text that reads back as the same double."""

from __future__ import annotations

import math


def format_number(value: float) -> str:
    """Shortest decimal text of ``value`` that parses back to the identical float64.

    >>> format_number(0.1), format_number(2.0), format_number(1e-05), format_number(-3.5e20)
    ('0.1', '2', '1E-05', '-3.5E+20')
    """
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"a spreadsheet cannot hold the number {value!r}")
    if value == 0:
        return "0"  # also for -0.0: spreadsheets have no negative zero
    text = repr(value)
    if text.endswith(".0"):
        text = text[:-2]
    return text.upper()
