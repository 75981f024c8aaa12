"""inline_pooling: fold the cells a pooling window reads into the pooling cell (compact layout).

Before (2×2 max pooling over a ReLU convolution)::

    conv: =MAX(0,SUMPRODUCT(A3:B4,K3:L4)+N3)   (four such cells)
    pool: =MAX(A9:B10)

After: the four convolution cells are gone and the pooling cell reads::

    pool: =MAX(0,SUMPRODUCT(A3:B4,K3:L4)+N3,SUMPRODUCT(B3:C4,K3:L4)+N3,…)

Fewer formula cells and no extra characters; the readable layout keeps both blocks visible.
"""

from __future__ import annotations

import logging

from cnn2sheet.ir import Cells, Const, Expr, Func, Program
from cnn2sheet.ir.expr import Binary
from cnn2sheet.passes.readers import read_counts

log = logging.getLogger(__name__)

_AGGREGATES = {"MAX", "MIN", "SUM"}


def inline_pooling(program: Program) -> bool:
    """Inline a block into the aggregates that are its only readers.

    Declines when a source cell is read more than once (overlapping windows), when the source is
    a model output, or when the reader also reads the source in another form.
    """
    absorbed = 0
    counts = read_counts(program)
    for block in list(program.compute_blocks()):
        source = _sole_aggregated_source(program, block, counts)
        if source is None:
            continue
        block.exprs = [_inline(expr, source) for expr in block.exprs]
        block.layers = source.layers + [n for n in block.layers if n not in source.layers]
        program.remove(source.name)
        absorbed += source.size
        # No recount: the inlined formulas keep their references, and the cells that
        # lost their reader are gone with the source block.
    if absorbed:
        log.debug("inline_pooling: %d cells folded into the pooling cells reading them", absorbed)
    return absorbed > 0


def _aggregate(expr: Expr) -> Func | None:
    """The ``MAX(cells)``-like call at the top of a pooling cell (``SUM(cells)/n`` included)."""
    if isinstance(expr, Binary) and expr.op == "/" and isinstance(expr.right, Const):
        expr = expr.left
    if (
        isinstance(expr, Func)
        and expr.name in _AGGREGATES
        and len(expr.args) >= 1
        and isinstance(expr.args[0], Cells)
        and all(isinstance(a, Const) for a in expr.args[1:])
    ):
        return expr
    return None


def _sole_aggregated_source(program: Program, block, counts):
    calls = [_aggregate(e) for e in block.exprs]
    if not calls or any(c is None for c in calls):
        return None
    first = calls[0].args[0].ids
    if not first.size:
        return None
    source = program.block_of(int(first[0]))
    if source.kind != "compute" or source is block:
        return None
    for call in calls:
        ids = call.args[0].ids
        if not all(source.owns(int(i)) for i in (ids.min(), ids.max())):
            return None
        if (counts[ids] != 1).any():
            return None
    return source


def _inline(expr: Expr, source) -> Expr:
    if isinstance(expr, Binary):
        return Binary(expr.op, _inline(expr.left, source), expr.right)
    cells, *constants = expr.args
    parts = [source.exprs[int(i) - source.start] for i in cells.ids]
    return _flatten(expr.name, parts + constants)


def _flatten(name: str, args: list[Expr]) -> Func:
    """``MAX(MAX(0,a),MAX(0,b))`` → ``MAX(0,a,b)``: nested calls of the same aggregate merge."""
    flat: list[Expr] = []
    for arg in args:
        inner = arg.args if isinstance(arg, Func) and arg.name == name and name != "SUM" else (arg,)
        for item in inner:
            if name != "SUM" and isinstance(item, Const) and item in flat:
                continue  # MAX(0,…,0) needs the constant once
            flat.append(item)
    return Func(name, tuple(flat))
