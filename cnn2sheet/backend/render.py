"""Rendering: a laid-out cell expression → a formula syntax tree with real addresses."""

from __future__ import annotations

import numpy as np

from cnn2sheet.backend.rectangles import coalesce
from cnn2sheet.formula import ast
from cnn2sheet.ir import Binary, Cells, Const, Dot, Expr, Func, Neg, Ref
from cnn2sheet.layout import Layout
from cnn2sheet.targets import Target

_ASSOCIATIVE = {"MAX", "MIN", "SUM"}  # safe to nest when a call would take too many arguments
_ONE_RANGE = {"INDEX"}  # functions whose cells argument must stay a single range


class Renderer:
    """Turns IR expressions into formula trees for cells on sheet ``here``."""

    def __init__(self, layout: Layout, target: Target):
        self.layout = layout
        self.target = target
        self.here = 0

    def render(self, expr: Expr, sheet: int) -> ast.Node:
        self.here = sheet
        return self._node(expr)

    def _node(self, expr: Expr) -> ast.Node:
        if isinstance(expr, Const):
            return ast.Number(expr.value)
        if isinstance(expr, Ref):
            return self._cell(expr.cell)
        if isinstance(expr, Dot):
            return self._dot(expr)
        if isinstance(expr, Binary):
            return self._binary(expr)
        if isinstance(expr, Neg):
            return ast.Unary("-", self._node(expr.operand))
        if isinstance(expr, Func):
            return self._call(expr)
        raise TypeError(f"cannot render {type(expr).__name__} on its own")

    def _binary(self, expr: Binary) -> ast.Node:
        left, right = self._node(expr.left), self._node(expr.right)
        # x + (-c) reads better as x - c.
        if expr.op in "+-" and isinstance(right, ast.Number) and right.value < 0:
            return ast.Binary("-" if expr.op == "+" else "+", left, ast.Number(-right.value))
        return ast.Binary(expr.op, left, right)

    def _call(self, expr: Func) -> ast.Node:
        args: list[ast.Node] = []
        for arg in expr.args:
            if isinstance(arg, Cells):
                ids = arg.ids
                if expr.name in _ASSOCIATIVE:  # order does not matter: read grid by grid
                    ids = ids[self.layout.reading_order(ids)]
                ranges = self._ranges(ids)
                if expr.name in _ONE_RANGE and len(ranges) != 1:
                    # INDEX counts positions inside one range; a split would shift them.
                    raise ValueError(
                        f"{expr.name} needs its cells in one rectangle, they span {len(ranges)}"
                    )
                args.extend(ranges)
            else:
                args.append(self._node(arg))
        name = self.target.function(expr.name)
        limit = self.target.max_args
        while expr.name in _ASSOCIATIVE and len(args) > limit:
            args = [ast.Call(name, tuple(args[i : i + limit])) for i in range(0, len(args), limit)]
        return ast.Call(name, tuple(args))

    def _dot(self, expr: Dot) -> ast.Node:
        # Terms in the reading order of the inputs, so each grid's window is one stretch.
        order = self.layout.reading_order(expr.xs)
        xs, ws = self.layout.coords(expr.xs[order]), self.layout.coords(expr.ws[order])
        terms: list[ast.Node] = []
        for start, height, width in coalesce(xs, ws):
            if height * width == 1:
                terms.append(ast.Binary("*", self._at(xs, start), self._at(ws, start)))
            else:
                terms.append(
                    ast.Call(
                        self.target.function("SUMPRODUCT"),
                        (
                            self._rect(xs, start, height, width),
                            self._rect(ws, start, height, width),
                        ),
                    )
                )
        if not terms:
            return ast.Number(0.0)
        total = terms[0]
        for term in terms[1:]:
            total = ast.Binary("+", total, term)
        return total

    def _ranges(self, ids: np.ndarray) -> list[ast.Node]:
        coords = self.layout.coords(ids)
        return [
            self._at(coords, s) if h * w == 1 else self._rect(coords, s, h, w)
            for s, h, w in coalesce(coords)
        ]

    def _cell(self, cell: int) -> ast.Cell:
        coords = self.layout.coords(np.array([cell]))
        return self._at(coords, 0)

    def _sheet(self, sheet: int) -> str | None:
        return None if sheet == self.here else self.layout.sheets[sheet]

    def _at(self, coords, k: int) -> ast.Cell:
        sheet, row, col = coords
        if sheet[k] < 0:
            raise ValueError("a referenced cell has no place in the layout")
        return ast.Cell(int(row[k]), int(col[k]), self._sheet(int(sheet[k])))

    def _rect(self, coords, start: int, height: int, width: int) -> ast.Range:
        sheet, row, col = coords
        last = start + height * width - 1
        return ast.Range(
            ast.Cell(int(row[start]), int(col[start])),
            ast.Cell(int(row[last]), int(col[last])),
            self._sheet(int(sheet[start])),
        )
