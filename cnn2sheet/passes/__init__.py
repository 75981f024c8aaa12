"""Passes that rewrite the cell IR; each returns whether it changed anything."""

from __future__ import annotations

import logging
from collections.abc import Callable

from cnn2sheet.ir import Program
from cnn2sheet.passes.dead_cells import remove_dead_cells
from cnn2sheet.passes.fold_batchnorm import fold_batchnorm
from cnn2sheet.passes.fuse import fuse_activations
from cnn2sheet.passes.inline_pooling import inline_pooling

log = logging.getLogger(__name__)

Pass = Callable[[Program], bool]

PIPELINE: list[Pass] = [
    # Fold a BatchNorm into the Dense/Conv weights before it, first: the activation after the
    # BatchNorm can then fuse into the weighted sums themselves.
    fold_batchnorm,
    # Fold elementwise activations into the cells that feed them: fewer cells, same values.
    fuse_activations,
    # Then drop whatever no output depends on.
    remove_dead_cells,
]


COMPACT_PIPELINE: list[Pass] = [
    *PIPELINE,
    # The compact layout also folds convolution cells into the pooling cells that read them.
    inline_pooling,
    remove_dead_cells,
]


def run_passes(
    program: Program,
    passes: list[Pass] | None = None,
    check: Callable[[Program], None] | None = None,
) -> None:
    """Run ``passes`` (default :data:`PIPELINE`) in order; ``check`` runs after each one."""
    for fn in passes or PIPELINE:
        changed = fn(program)
        log.debug("%s: %s", fn.__name__, "changed the program" if changed else "no change")
        if check is not None:
            check(program)
