"""remove_dead_cells: drop blocks of formulas or weights that nothing reads."""

from __future__ import annotations

import logging

from cnn2sheet.ir import Program
from cnn2sheet.passes.readers import read_counts

log = logging.getLogger(__name__)


def remove_dead_cells(program: Program) -> bool:
    """Remove compute and param blocks none of whose cells are read, until none is left.

    Inputs always stay (the workbook contract names them), and outputs count as read.
    """
    removed = 0
    while True:
        counts = read_counts(program)
        dead = [
            b.name
            for b in program.blocks.values()
            if b.kind != "input" and not counts[b.start : b.start + b.size].any()
        ]
        if not dead:
            break
        for name in dead:
            removed += program.blocks[name].size
            program.remove(name)
    if removed:
        log.debug("remove_dead_cells: %d cells nobody read were removed", removed)
    return removed > 0
