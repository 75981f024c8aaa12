"""fuse_activations: fold an elementwise activation into the cells that feed it.

Before: ``dense/linear`` holds ``=SUMPRODUCT(x,w)+b`` and ``dense`` holds ``=MAX(0,<that cell>)``.
After: ``dense`` holds ``=MAX(0,SUMPRODUCT(x,w)+b)`` and ``dense/linear`` is gone.
"""

from __future__ import annotations

import logging

from cnn2sheet.ir import Block, Cells, Dot, Program, Ref
from cnn2sheet.ir.expr import children, substitute
from cnn2sheet.passes.readers import read_counts

log = logging.getLogger(__name__)


def fuse_activations(program: Program) -> bool:
    """Inline a block into its only reader when every reader cell reads one source cell once.

    Declines when a source cell has another reader (softmax reads its logits several times),
    when the source is an output of the model, or when the reader aggregates ranges.
    """
    absorbed = 0
    counts = read_counts(program)
    for block in list(program.compute_blocks()):
        source = _single_source(program, block, counts)
        if source is None:
            continue
        block.exprs = [
            substitute(expr, ref, source.exprs[ref - source.start])
            for expr, ref in zip(block.exprs, _sole_refs(block), strict=True)
        ]
        block.layers = source.layers + [n for n in block.layers if n not in source.layers]
        program.remove(source.name)
        absorbed += block.size
        # No recount: the source's references moved into ``block`` unchanged, and the source's
        # own cells, the only counts that change, are gone.
    if absorbed:
        log.debug("fuse_activations: %d cells absorbed the formula that fed them", absorbed)
    return absorbed > 0


def _single_source(program: Program, block: Block, counts) -> Block | None:
    refs = _sole_refs(block)
    if refs is None or not refs:
        return None
    source = program.block_of(refs[0])
    if source.kind != "compute" or source is block:
        return None
    if any(not source.owns(r) for r in refs):
        return None
    if any(counts[r] != 1 for r in refs):
        return None
    return source


def _sole_refs(block: Block) -> list[int] | None:
    """The one cell each expression reads, or None if some expression reads more or ranges."""
    refs = []
    for expr in block.exprs:
        found = []
        stack = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, Cells | Dot):
                return None
            if isinstance(node, Ref):
                found.append(node.cell)
            stack.extend(children(node))
        if len(found) != 1:
            return None
        refs.append(found[0])
    return refs
