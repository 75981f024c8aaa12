"""The cell-level IR: every tensor a block of cells, every cell a small expression tree."""

from cnn2sheet.ir.expr import Binary, Cells, Const, Dot, Expr, Func, Neg, Ref, references
from cnn2sheet.ir.program import Block, Program

__all__ = [
    "Binary", "Block", "Cells", "Const", "Dot", "Expr", "Func", "Neg", "Program", "Ref",
    "references",
]  # fmt: skip
