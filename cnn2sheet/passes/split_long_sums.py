"""split_long_sums: break a weighted sum too long for one formula into partial-sum cells.

Runs after a first layout, because only addresses tell how long a formula is: a sum over a
thousand inputs that line up with their weights is one short ``SUMPRODUCT``, while scattered
cells (a dilated convolution, say) print as one ``A1*B1`` per term. A sum whose text would pass
half the target's formula limit becomes partial sums in helper cells, each well within it::

    before: =MAX(0,A5*K5+C5*M5+ … (3,000 terms) …+Z9)
    after:  partials  =A5*K5+C5*M5+ …   (a few hundred terms each)
            cell      =MAX(0,P5+Q5+R5+Z9)

The layout is planned again afterwards, so the helper cells get a place beside their layer.
"""

from __future__ import annotations

import logging

import numpy as np

from cnn2sheet.backend.rectangles import coalesce
from cnn2sheet.ir import Binary, Dot, Expr, Program, Ref
from cnn2sheet.ir.expr import children, rebuild
from cnn2sheet.layout import Layout
from cnn2sheet.targets import Target

log = logging.getLogger(__name__)

# Characters a term may take in the worst case, with or without a sheet prefix:
# a single product "'model (2)'!XFD1048576*'model (2)'!XFD1048576+" or a SUMPRODUCT of two ranges.
_SINGLE = 2 * (14 + 10) + 2
_RECTANGLE = 2 * (14 + 21) + 13
_QUICK = 100  # a sum of fewer terms than this always fits: do not measure it


def split_long_sums(program: Program, layout: Layout, target: Target) -> bool:
    """Move the terms of over-long weighted sums into partial-sum cells; True if any moved."""
    budget = target.max_formula_chars // 2
    split = 0
    for block in list(program.compute_blocks()):
        if not any(_long(e) for e in block.exprs):
            continue  # the common case: every sum is short enough to fit whatever the layout
        partials: list[Dot] = []
        exprs = [
            rebuild(
                e,
                lambda node, out=partials: (
                    _shorten(node, layout, budget, out) if isinstance(node, Dot) else node
                ),
            )
            for e in block.exprs
        ]
        if not partials:
            continue
        helper = program.add(
            f"{block.name}/partial sums",
            block.layer,
            "compute",
            (len(partials),),
            role="partial sums",
            exprs=list(partials),
            title=f"{block.title}: partial sums",
            cls=block.cls,
            before=block.name,
        )
        block.exprs = [_resolve(e, helper.start) for e in exprs]
        split += len(partials)
    if split:
        log.debug(
            "split_long_sums: %d partial-sum cells keep formulas within %s's limit",
            split,
            target.name,
        )
    return split > 0


def _long(expr: Expr) -> bool:
    """Whether ``expr`` holds a weighted sum with enough terms to be worth measuring."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Dot):
            if node.xs.size >= _QUICK:
                return True
        else:
            stack.extend(children(node))
    return False


def _shorten(dot: Dot, layout: Layout, budget: int, partials: list[Dot]) -> Expr:
    """``dot`` itself, or the sum of references to the partial sums it was split into."""
    chunks = _chunks(dot, layout, budget)
    if len(chunks) == 1:
        return dot
    first = len(partials)
    partials.extend(Dot(dot.xs[c], dot.ws[c]) for c in chunks)
    total: Expr = _Pending(first)
    for k in range(1, len(chunks)):
        total = Binary("+", total, _Pending(first + k))
    return total


class _Pending(Ref):
    """A reference to partial sum number ``cell`` of a block not created yet."""

    __slots__ = ()


def _chunks(dot: Dot, layout: Layout, budget: int) -> list[np.ndarray]:
    """Index sets of ``dot``'s terms, each printing within ``budget`` characters."""
    if dot.xs.size < _QUICK:
        return [np.arange(dot.xs.size)]
    order = layout.reading_order(dot.xs)
    stretches = coalesce(layout.coords(dot.xs[order]), layout.coords(dot.ws[order]))
    chunks, current, used = [], [], 0
    for start, height, width in stretches:
        cost = _SINGLE if height * width == 1 else _RECTANGLE
        if current and used + cost > budget:
            chunks.append(np.concatenate(current))
            current, used = [], 0
        current.append(order[start : start + height * width])
        used += cost
    chunks.append(np.concatenate(current))
    return chunks


def _resolve(expr: Expr, start: int) -> Expr:
    """Point the pending references at the partial-sum block, now that it has ids."""
    return rebuild(
        expr, lambda node: Ref(start + node.cell) if isinstance(node, _Pending) else node
    )
