"""Layout: where every block of cells sits in the workbook."""

from cnn2sheet.layout.placement import Label, Layout, Placement
from cnn2sheet.layout.readable import readable_layout

__all__ = ["Label", "Layout", "Placement", "readable_layout"]
