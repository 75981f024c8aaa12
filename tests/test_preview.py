"""Seen, not assumed: the workbook rendered by LibreOffice shows the labelled layers."""

from __future__ import annotations

import os
import shutil
import struct

import pytest
from support import FIXTURES

from cnn2sheet import compile_model
from cnn2sheet.preview import pdf_text, to_pdf, to_png


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    missing = [t for t in ("soffice", "pdftoppm", "pdftotext") if shutil.which(t) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (scripts/install.sh installs them)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    folder = tmp_path_factory.mktemp("preview")
    labels = folder / "labels.txt"
    labels.write_text("\n".join(f"digit {k}" for k in range(10)) + "\n")
    book = folder / "digits.xlsx"
    compile_model(
        FIXTURES / "digits_cnn.keras", book, sample=FIXTURES / "digits_sample.npy", labels=labels
    )
    return to_pdf(book, folder / "digits.pdf")


def test_every_layer_is_labelled_in_the_rendering(rendered):
    text = pdf_text(rendered)

    for heading in (
        "image (InputLayer) → 8×8×1",
        "conv1 (Conv2D) → 8×8×8",
        "pool1 (MaxPooling2D) → 4×4×8",
        "conv2 (Conv2D) → 2×2×16",
        "digits (Dense) → 10",
        "conv1 kernel",
        "predicted class",
    ):
        assert heading in text


def test_first_page_renders_as_a_picture(rendered, tmp_path):
    png = to_png(rendered, tmp_path / "page.png", dpi=60)

    header = png.read_bytes()[:24]
    width, height = struct.unpack(">II", header[16:24])
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert width > 300 and height > 300
    assert png.stat().st_size > 10_000  # cells, numbers and colours, not a blank page
