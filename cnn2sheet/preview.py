"""Render a workbook the way a person sees it: LibreOffice → PDF → PNG.

Used by the tests (the workbook must render, labelled and heat-mapped) and to make the picture in
the README. Needs LibreOffice (``soffice``) and Poppler (``pdftoppm``, ``pdftotext``).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cnn2sheet.errors import Cnn2SheetError

log = logging.getLogger(__name__)

_TOOLS = {
    "soffice": "apt-get install libreoffice-calc-nogui",
    "pdftoppm": "apt-get install poppler-utils",
    "pdftotext": "apt-get install poppler-utils",
}


class PreviewError(Cnn2SheetError):
    """A tool needed for rendering is missing or failed."""


def to_pdf(workbook: str | os.PathLike, pdf: str | os.PathLike, timeout: float = 180) -> Path:
    """Print ``workbook`` to ``pdf`` with headless LibreOffice (a private profile each time)."""
    workbook, pdf = Path(workbook), Path(pdf)
    with tempfile.TemporaryDirectory(prefix="cnn2sheet-render-") as temp:
        profile = Path(temp, "profile").as_uri()
        _run(
            [
                _tool("soffice"),
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                temp,
                str(workbook),
            ],
            timeout,
        )
        made = Path(temp, workbook.with_suffix(".pdf").name)
        if not made.exists():
            raise PreviewError(f"LibreOffice wrote no PDF for '{workbook}'")
        shutil.move(made, pdf)
    return pdf


def to_png(
    pdf: str | os.PathLike,
    png: str | os.PathLike,
    *,
    dpi: int = 110,
    page: int = 1,
    crop: tuple[int, int, int, int] | None = None,
    timeout: float = 60,
) -> Path:
    """One page of ``pdf`` as a PNG; ``crop`` is (x, y, width, height) in pixels at ``dpi``."""
    png = Path(png)
    stem = png.with_suffix("")
    command = [
        _tool("pdftoppm"),
        "-png",
        "-singlefile",
        "-r",
        str(dpi),
        "-f",
        str(page),
        "-l",
        str(page),
    ]
    if crop is not None:
        x, y, width, height = crop
        command += ["-x", str(x), "-y", str(y), "-W", str(width), "-H", str(height)]
    _run([*command, str(pdf), str(stem)], timeout)
    return png


def pdf_text(pdf: str | os.PathLike, timeout: float = 60) -> str:
    """The text a PDF shows, to check what a reader of the rendering would read."""
    return _run([_tool("pdftotext"), "-layout", str(pdf), "-"], timeout)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise PreviewError(f"'{name}' was not found on PATH; install it with `{_TOOLS[name]}`")
    return found


def _run(command: list[str], timeout: float) -> str:
    log.debug("running %s", " ".join(command))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PreviewError(f"'{Path(command[0]).name}' took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise PreviewError(f"'{Path(command[0]).name}' failed ({done.returncode}): {last}")
    return done.stdout
