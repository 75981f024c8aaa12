"""docs/LAYERS.md is generated from the registry and must match it."""

from __future__ import annotations

from cnn2sheet.docs import DEFAULT_PATH, layers_page, main


def test_layers_page_is_up_to_date():
    """If this fails, a lowering changed: run ``python -m cnn2sheet.docs`` and commit the file."""
    written = DEFAULT_PATH.read_text(encoding="utf-8")

    assert written == layers_page()


def test_check_mode_reports_a_stale_page(tmp_path):
    stale = tmp_path / "LAYERS.md"
    stale.write_text("# Supported layers\n", encoding="utf-8")

    assert main(["--check", str(stale)]) == 1
    assert main([str(stale)]) == 0
    assert main(["--check", str(stale)]) == 0
