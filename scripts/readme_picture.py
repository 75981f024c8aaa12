"""Make docs/digits_workbook.png: the bundled digit model's workbook as LibreOffice shows it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from cnn2sheet import compile_model
from cnn2sheet.preview import to_pdf, to_png

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        book = Path(temp, "digits.xlsx")
        compile_model(FIXTURES / "digits_cnn.keras", book, sample=FIXTURES / "digits_sample.npy")
        pdf = to_pdf(book, Path(temp, "digits.pdf"))
        # The top left of the first page: title, input digit, first feature maps, pooling.
        out = to_png(pdf, ROOT / "docs" / "digits_workbook.png", dpi=200, crop=(110, 130, 900, 820))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
