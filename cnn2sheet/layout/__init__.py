"""Layout: where every block of cells sits in the workbook."""

from cnn2sheet.layout.placement import Label, Layout, Placement
from cnn2sheet.layout.plan import LAYOUTS, plan_layout

__all__ = ["LAYOUTS", "Label", "Layout", "Placement", "plan_layout"]
