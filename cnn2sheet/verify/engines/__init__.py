"""Spreadsheet engines that evaluate a compiled workbook.

>>> with open_session("ironcalc", "model.xlsx") as session:  # doctest: +SKIP
...     out = session.evaluate({"input": x}, ["output"])["output"]
...     session.last_errors["output"]  # [("'model'!B4", "#VALUE!"), ...] for non-numbers

Engines: ``formulas`` (pure Python, slow, the project's proof), ``ironcalc``
(Rust, fast), ``gnumeric`` (``ssconvert --recalc``, one process per sample) and
``libreoffice`` (headless Calc through Python-UNO, one office per session).
See each engine's module for what it does with names, errors and precision.
"""

from __future__ import annotations

import logging
import os

from cnn2sheet.errors import OptionError

from .base import EngineError, EngineUnavailable, InputError, Session
from .workbook_names import AddressError, Area, UnknownNameError, WorkbookNames, parse_area

logger = logging.getLogger(__name__)

ENGINES: tuple[str, ...] = ("formulas", "ironcalc", "gnumeric", "libreoffice")

__all__ = [
    "ENGINES",
    "AddressError",
    "Area",
    "EngineError",
    "EngineUnavailable",
    "InputError",
    "Session",
    "UnknownNameError",
    "WorkbookNames",
    "available",
    "open_session",
    "parse_area",
    "require",
]


def _check_name(engine: str) -> None:
    if engine not in ENGINES:
        raise OptionError(f"unknown engine {engine!r}; the engines are {', '.join(ENGINES)}")


def require(engine: str) -> None:
    """Raise :class:`EngineUnavailable` (with an install hint) unless ``engine`` can run."""
    _check_name(engine)
    if engine == "formulas":
        from .formulas_engine import check_available
    elif engine == "ironcalc":
        from .ironcalc_engine import check_available
    elif engine == "gnumeric":
        from .gnumeric_engine import check_available
    else:
        from .libreoffice_engine import check_available
    check_available()


def available(engine: str) -> bool:
    """Whether ``engine`` is installed (its package imports / its program is on PATH)."""
    try:
        require(engine)
    except EngineUnavailable as exc:
        logger.debug("engine %s unavailable: %s", engine, exc)
        return False
    return True


def open_session(engine: str, path: str | os.PathLike) -> Session:
    """Load the workbook at ``path`` in ``engine``; evaluate it with ``Session.evaluate``."""
    require(engine)
    if engine == "formulas":
        from .formulas_engine import FormulasSession

        return FormulasSession(path)
    if engine == "ironcalc":
        from .ironcalc_engine import IronCalcSession

        return IronCalcSession(path)
    if engine == "gnumeric":
        from .gnumeric_engine import GnumericSession

        return GnumericSession(path)
    from .libreoffice_engine import LibreOfficeSession

    return LibreOfficeSession(path)
