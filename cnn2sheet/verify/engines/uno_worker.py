"""Worker that drives a running LibreOffice through Python-UNO; run as a script, not imported.

The UNO bindings (``python3-uno``) belong to the system's Python, which is usually not the
Python cnn2sheet runs on, so :mod:`.libreoffice_engine` starts this file under that Python and
talks to it with one JSON object per line: requests on stdin, replies on stdout. It needs only
the standard library and ``uno``, and must stay importable by any Python 3 that LibreOffice
ships with (no third-party imports, nothing from cnn2sheet).

Requests (``op`` and its fields) and replies (``{"ok": true, ...}`` or
``{"ok": false, "error": text}``):

- ``open``: ``pipe``, ``path``, ``deadline_seconds`` -- connect to the office listening on the
  named pipe (retrying until the deadline: it takes a second or two to start), load the workbook
  hidden, switch automatic calculation off. Replies ``sheets``.
- ``evaluate``: ``writes``, a list of ``[area, values]`` with the values row by row, and
  ``reads``, a list of areas; an area is ``[sheet, first_row, first_col, last_row, last_col]``,
  1-based. Areas written by an earlier request and not written now first get their stored
  content back. Then ``calculateAll()``, and every read area comes back row by row as cells: a
  number, ``null`` (empty), ``{"text": s}`` or ``{"error": code}`` with LibreOffice's error
  code (an error cell reads as 0.0 through ``getDataArray``, so errors are found with
  ``queryFormulaCells`` and ``getError``).
- ``close``: close the document and terminate the office; the worker then exits.

Numbers travel as JSON, which Python writes with ``repr``: the shortest text that reads back
as the same double, so no precision is lost either way.
"""

# The worker runs under whatever Python LibreOffice comes with (3.8 in some builds): no
# zip(strict=...), which arrived in 3.10.
# ruff: noqa: B905

from __future__ import annotations

import json
import os
import sys
import time
import traceback

# com.sun.star.sheet.FormulaResult.ERROR and CellFlags.{VALUE, DATETIME, STRING, FORMULA}
_RESULT_ERROR = 4
_CONTENT_FLAGS = 1 | 2 | 4 | 16


class Worker:
    """One office connection and one loaded document."""

    def __init__(self) -> None:
        self.desktop = None
        self.doc = None
        self.originals: dict[tuple, tuple] = {}

    # -- requests -------------------------------------------------------------

    def open(self, request: dict) -> dict:
        import uno
        from com.sun.star.beans import PropertyValue
        from com.sun.star.connection import NoConnectException

        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        url = f"uno:pipe,name={request['pipe']};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + float(request["deadline_seconds"])
        while True:
            try:
                context = resolver.resolve(url)
                break
            except NoConnectException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context
        )

        def prop(name, value):
            p = PropertyValue()
            p.Name, p.Value = name, value
            return p

        # Hidden, no macros, no link updates: the file is data to calculate, nothing else.
        props = (prop("Hidden", True), prop("MacroExecutionMode", 0), prop("UpdateDocMode", 0))
        url = uno.systemPathToFileUrl(os.path.abspath(request["path"]))
        self.doc = self.desktop.loadComponentFromURL(url, "_blank", 0, props)
        if self.doc is None or not hasattr(self.doc, "getSheets"):
            raise RuntimeError("LibreOffice did not open the file as a spreadsheet")
        # Writing inputs must not trigger recalculation; evaluate recalculates once, fully.
        self.doc.enableAutomaticCalculation(False)
        return {"sheets": list(self.doc.getSheets().getElementNames())}

    def evaluate(self, request: dict) -> dict:
        written = {tuple(area) for area, _ in request["writes"]}
        for key in [k for k in self.originals if k not in written]:
            self._restore(key)
        for area, values in request["writes"]:
            key = tuple(area)
            cells = self._range(key)
            if key not in self.originals:
                self.originals[key] = (cells.getDataArray(), cells.getFormulaArray())
            width = key[4] - key[2] + 1
            rows = tuple(
                tuple(float(v) for v in values[k : k + width]) for k in range(0, len(values), width)
            )
            cells.setDataArray(rows)
        self.doc.calculateAll()
        return {"cells": [self._read(tuple(area)) for area in request["reads"]]}

    def close(self, request: dict) -> dict:
        if self.doc is not None:
            try:
                self.doc.close(True)
            except Exception:  # an office that is going away may refuse; terminate anyway
                pass
            self.doc = None
        if self.desktop is not None:
            try:
                self.desktop.terminate()
            except Exception:  # the bridge drops as the office exits
                pass
            self.desktop = None
        return {}

    # -- cells ----------------------------------------------------------------

    def _range(self, key: tuple):
        sheet, row, col, last_row, last_col = key
        return (
            self.doc.getSheets()
            .getByName(sheet)
            .getCellRangeByPosition(col - 1, row - 1, last_col - 1, last_row - 1)
        )

    def _restore(self, key: tuple) -> None:
        data, formulas = self.originals.pop(key)
        cells = self._range(key)
        plain = all(
            isinstance(v, float) and not f.startswith("=")
            for drow, frow in zip(data, formulas)
            for v, f in zip(drow, frow)
        )
        if plain:
            cells.setDataArray(data)
            return
        for r, (drow, frow) in enumerate(zip(data, formulas)):
            for c, (value, formula) in enumerate(zip(drow, frow)):
                cell = cells.getCellByPosition(c, r)
                if formula.startswith("="):
                    cell.setFormula(formula)
                elif isinstance(value, float):
                    cell.setValue(value)
                elif formula == "":
                    cells.getCellRangeByPosition(c, r, c, r).clearContents(_CONTENT_FLAGS)
                else:
                    cell.setString(value)

    def _read(self, key: tuple) -> list:
        cells = self._range(key)
        values = [
            value if isinstance(value, float) else ({"text": value} if value != "" else None)
            for row in cells.getDataArray()
            for value in row
        ]
        width = key[4] - key[2] + 1
        errors = cells.queryFormulaCells(_RESULT_ERROR)
        for address in errors.getRangeAddresses():
            for row in range(address.StartRow, address.EndRow + 1):
                for col in range(address.StartColumn, address.EndColumn + 1):
                    cell = cells.getCellByPosition(col - key[2] + 1, row - key[1] + 1)
                    k = (row - key[1] + 1) * width + (col - key[2] + 1)
                    values[k] = {"error": int(cell.getError())}
        return values


def main() -> int:
    """Serve requests from stdin until ``close`` or end of input."""
    # The protocol owns the real stdout; anything else printing (the bridge, a library)
    # must land on stderr instead of corrupting a reply.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = Worker()
    handlers = {"open": worker.open, "evaluate": worker.evaluate, "close": worker.close}
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        op = request.get("op")
        try:
            reply = dict(handlers[op](request), ok=True)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        channel.write(json.dumps(reply) + "\n")
        channel.flush()
        if op == "close":
            return 0
    worker.close({})
    return 0


if __name__ == "__main__":
    sys.exit(main())
