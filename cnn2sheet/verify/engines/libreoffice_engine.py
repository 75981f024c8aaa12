"""LibreOffice Calc, driven headless through Python-UNO, as an engine.

Python-UNO (``python3-uno`` on Debian/Ubuntu) works only under the Python LibreOffice was built
for -- the system's ``/usr/bin/python3`` -- not under the Python cnn2sheet runs on. So a session
starts two processes and owns both:

- ``soffice --headless`` with a private profile (``-env:UserInstallation``) in a temporary
  folder, listening on a named pipe unique to the session (``--accept=pipe,name=...``), so
  sessions neither share settings nor collide;
- :mod:`.uno_worker` under a Python that can ``import uno``, which connects to that pipe, loads
  the workbook, and answers one JSON request per line on stdin/stdout (write inputs,
  ``calculateAll()``, read cells as exact doubles with ``getDataArray()``; error cells through
  ``queryFormulaCells`` / ``getError()``, since they read as 0.0).

The workbook is loaded once per session, from a private copy in the session's folder (the
office leaves a lock file beside what it opens); every sample is one request. ``close()`` asks the
worker to close the document and terminate the office, then waits, and kills both process
groups if either is still running after a grace period; the profile folder is removed. A
finalizer does the same if a session is dropped unclosed.

Facts this module relies on (LibreOffice 7.4):

- An .xlsx is loaded with its cached values, not recalculated (``OOXMLRecalcMode``); an explicit
  ``calculateAll()`` recalculates every formula.
- Error codes are LibreOffice's ``FormulaError`` numbers; :data:`ERROR_TEXT` maps them to the
  error values Excel shows (LN(-1) is 502 "invalid argument", shown as #NUM! in Excel).
- Start-up takes about 1.5 s with a fresh profile.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
import weakref
from pathlib import Path

import numpy as np

from .base import CellResult, EngineUnavailable, Session, describe_value
from .workbook_names import Area

logger = logging.getLogger(__name__)

ENGINE = "libreoffice"
DEFAULT_TIMEOUT = 600.0  # seconds for one evaluation of a big workbook
START_TIMEOUT = 120.0  # seconds to start the office and load the workbook
CLOSE_GRACE = 15.0  # seconds the office gets to exit before it is killed
WORKER = Path(__file__).with_name("uno_worker.py")
INSTALL_HINT = (
    "install it with `apt-get install libreoffice-calc-nogui python3-uno` (Debian/Ubuntu); "
    "elsewhere install LibreOffice and set CNN2SHEET_UNO_PYTHON to a Python that can "
    "`import uno`"
)

# LibreOffice FormulaError codes -> the error values spreadsheets show.
ERROR_TEXT = {
    501: "#NAME?",  # invalid character
    502: "#NUM!",  # invalid argument: LN(-1), SQRT(-1)
    503: "#NUM!",
    504: "#VALUE!",
    519: "#VALUE!",
    521: "#NULL!",
    522: "#VALUE!",  # circular reference (Err:522)
    524: "#REF!",
    525: "#NAME?",
    532: "#DIV/0!",
    32767: "#N/A",
}

_SOFFICE_PLACES = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)


def _soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in _SOFFICE_PLACES if os.access(p, os.X_OK)), None)


def _worker_env() -> dict[str, str]:
    """Our environment without what would point another Python at our packages."""
    env = dict(os.environ)
    if "CNN2SHEET_UNO_PYTHON" not in env:
        for key in ("PYTHONHOME", "PYTHONPATH"):
            env.pop(key, None)
    env["PYTHONNOUSERSITE"] = "1"
    return env


@functools.cache
def _uno_python(soffice: str, chosen: str | None) -> str | None:
    """The first candidate Python that can ``import uno``: ``chosen``, else the usual places.

    Probed once per process for each (soffice, chosen) pair: a probe starts a Python.
    """
    program = Path(os.path.realpath(soffice)).parent
    candidates = (
        [chosen]
        if chosen
        else ["/usr/bin/python3", str(program / "python"), str(program / "python.exe")]
    )
    for python in candidates:
        if not os.access(python, os.X_OK):
            continue
        try:
            probe = subprocess.run(
                [python, "-c", "import uno"],
                capture_output=True,
                timeout=60,
                env=_worker_env(),
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            logger.debug("libreoffice: %s cannot be probed: %s", python, exc)
            continue
        if probe.returncode == 0:
            return python
        logger.debug("libreoffice: %s cannot import uno: %s", python, probe.stderr[-300:])
    return None


def check_available() -> tuple[str, str]:
    """Paths of ``soffice`` and of a Python with ``uno``; :class:`EngineUnavailable` if not."""
    soffice = _soffice()
    if soffice is None:
        raise EngineUnavailable(f"LibreOffice's soffice was not found on PATH; {INSTALL_HINT}")
    python = _uno_python(soffice, os.environ.get("CNN2SHEET_UNO_PYTHON"))
    if python is None:
        where = os.environ.get("CNN2SHEET_UNO_PYTHON") or "/usr/bin/python3"
        raise EngineUnavailable(
            f"LibreOffice is installed but no Python can `import uno` ({where} cannot); "
            f"{INSTALL_HINT}"
        )
    return soffice, python


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill whatever is left of the process group ``proc`` leads (soffice forks soffice.bin)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the whole group is gone already
    except PermissionError:
        proc.kill()
    proc.wait(timeout=10)


def _shutdown(procs: list[subprocess.Popen], folder: str, pipe: str) -> None:
    """Stop what a session started (worker and office); remove its folder and pipe."""
    for proc in procs:
        if proc.stdin is not None:
            try:
                proc.stdin.close()  # end of requests: the worker closes the office and exits
            except OSError:
                pass  # it is gone already
    deadline = time.monotonic() + CLOSE_GRACE
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("libreoffice: process %d did not exit; killing it", proc.pid)
        _kill_group(proc)
        if proc.stdout is not None:
            proc.stdout.close()
    shutil.rmtree(folder, ignore_errors=True)
    if hasattr(os, "getuid"):
        # A killed office leaves its pipe's socket behind (UNO puts it in /tmp).
        Path("/tmp", f"OSL_PIPE_{os.getuid()}_{pipe}").unlink(missing_ok=True)


class LibreOfficeSession(Session):
    engine = ENGINE

    def __init__(self, path: str | os.PathLike, timeout: float = DEFAULT_TIMEOUT) -> None:
        soffice, python = check_available()
        super().__init__(path)
        self.timeout = timeout
        self._folder = tempfile.mkdtemp(prefix="cnn2sheet-libreoffice-")
        self._procs: list[subprocess.Popen] = []
        self._pipe = f"cnn2sheet-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._finalizer = weakref.finalize(self, _shutdown, self._procs, self._folder, self._pipe)
        self._replies: queue.Queue = queue.Queue()
        try:
            # A private copy: LibreOffice writes a lock file next to what it opens, and one
            # left behind by a killed office would make it refuse the user's file next time.
            book = Path(self._folder) / f"book{self.path.suffix}"
            shutil.copyfile(self.path, book)
            self._start(soffice, python)
            request = {"op": "open", "pipe": self._pipe, "path": str(book)}
            request["deadline_seconds"] = START_TIMEOUT
            reply = self._request(request, "loading", START_TIMEOUT + 10)
        except BaseException:
            self._finalizer()
            raise
        missing = [s for s in self.workbook.sheets if s not in reply["sheets"]]
        if missing:
            self._finalizer()
            raise self._error("loading", f"sheets {missing} not found in {reply['sheets']}")

    # -- processes ----------------------------------------------------------

    def _start(self, soffice: str, python: str) -> None:
        folder = Path(self._folder)
        office = [
            soffice,
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            f"--accept=pipe,name={self._pipe};urp;StarOffice.ComponentContext",
        ]
        logger.debug("libreoffice: starting %s", office)
        self._office_log = folder / "soffice.log"
        self._worker_log = folder / "worker.log"
        with open(self._office_log, "wb") as log:
            self._procs.append(
                subprocess.Popen(
                    office,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # one process group to kill: soffice forks
                )
            )
        with open(self._worker_log, "wb") as log:
            self._worker = subprocess.Popen(
                [python, str(WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=_worker_env(),
                start_new_session=True,
            )
        self._procs.insert(0, self._worker)  # shut the worker down first: it stops the office
        self._reader = threading.Thread(
            target=self._read_replies, args=(self._worker.stdout, self._replies), daemon=True
        )
        self._reader.start()

    @staticmethod
    def _read_replies(stream, replies: queue.Queue) -> None:
        for line in stream:
            replies.put(line)
        replies.put(None)  # end of output: the worker is gone

    def _request(self, request: dict, what: str, timeout: float) -> dict:
        """Send one request and wait for its reply; an error reply raises EngineError."""
        try:
            self._worker.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            self._worker.stdin.flush()
        except OSError as exc:
            raise self._error(what, f"the UNO worker is gone ({exc}){self._tail()}") from exc
        try:
            line = self._replies.get(timeout=timeout)
        except queue.Empty:
            for proc in self._procs:  # hung: no grace period
                _kill_group(proc)
            self._finalizer()
            raise self._error(what, f"no answer from LibreOffice within {timeout:g} s") from None
        if line is None:
            raise self._error(what, f"the UNO worker exited{self._tail()}")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise self._error(what, f"{reply.get('error')}{self._tail()}")
        return reply

    def _tail(self) -> str:
        """The last lines the worker and the office wrote, for an error message."""
        lines: list[str] = []
        for log in (self._worker_log, self._office_log):
            try:
                text = log.read_text(errors="replace")
            except OSError:
                continue
            # soffice always warns that it cannot launch javaldx: Java is not needed here.
            lines += [ln for ln in text.splitlines() if ln.strip() and "javaldx" not in ln][-3:]
        return ("; it said: " + " | ".join(lines)) if lines else ""

    # -- Session ------------------------------------------------------------

    def _evaluate(
        self, writes: dict[str, tuple[Area, np.ndarray]], areas: dict[str, Area]
    ) -> dict[str, list[CellResult]]:
        request = {
            "op": "evaluate",
            "writes": [[_key(area), flat.tolist()] for area, flat in writes.values()],
            "reads": [_key(area) for area in areas.values()],
        }
        reply = self._request(request, "calculating", self.timeout)
        return {
            target: [_describe(cell) for cell in cells]
            for target, cells in zip(areas, reply["cells"], strict=True)
        }

    def _close(self) -> None:
        if self._worker.poll() is None:
            try:
                self._request({"op": "close"}, "closing", CLOSE_GRACE)
            except Exception as exc:  # closing must not fail: the finalizer kills what is left
                logger.warning("libreoffice: closing %s: %s", self.path.name, exc)
        self._finalizer()


def _key(area: Area) -> list:
    return [area.sheet, area.min_row, area.min_col, area.max_row, area.max_col]


def _describe(cell) -> CellResult:
    if isinstance(cell, dict):
        if "error" in cell:
            code = cell["error"]
            return ERROR_TEXT.get(code, f"Err:{code}")
        return describe_value(cell["text"])
    return describe_value(cell)
