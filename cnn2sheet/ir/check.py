"""check_program: the IR's invariants, run between passes in tests to catch a broken pass early."""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir.expr import references
from cnn2sheet.ir.program import Program


class ProgramInvariantError(AssertionError):
    """A pass left the program in a state no later stage can handle."""


def check_program(program: Program) -> None:
    """Raise :class:`ProgramInvariantError` unless every formula reads only earlier cells.

    Also checks block sizes and that every input and output port names an existing block.
    """
    placed = np.zeros(program.id_limit, dtype=bool)
    for block in program.blocks.values():
        if block.kind == "compute":
            if block.exprs is None or len(block.exprs) != block.size:
                raise ProgramInvariantError(
                    f"block '{block.name}' has {block.size} cells but "
                    f"{0 if block.exprs is None else len(block.exprs)} "
                    "expressions"
                )
            for k, expr in enumerate(block.exprs):
                for ids in references(expr):
                    bad = ids[(ids < 0) | (ids >= program.id_limit)]
                    if bad.size or not placed[ids].all():
                        missing = bad if bad.size else ids[~placed[ids]]
                        raise ProgramInvariantError(
                            f"cell {k} of block '{block.name}' reads cell id {int(missing[0])}, "
                            "which no earlier block holds"
                        )
        elif block.values is None or block.values.size != block.size:
            raise ProgramInvariantError(f"block '{block.name}' lacks its {block.size} values")
        placed[block.start : block.start + block.size] = True
    for port in program.inputs + program.outputs:
        if port.block not in program.blocks:
            raise ProgramInvariantError(f"port '{port.name}' names missing block '{port.block}'")
