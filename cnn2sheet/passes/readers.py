"""Who reads which cell: the analysis the rewriting passes share."""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Program, references


def read_counts(program: Program) -> np.ndarray:
    """How many times each cell id is read by a formula; outputs count as one more read."""
    chunks = [np.empty(0, dtype=np.int64)]
    for block in program.compute_blocks():
        for expr in block.exprs:
            chunks.extend(references(expr))
    for port in program.outputs:
        chunks.append(program.blocks[port.block].ids.ravel())
    return np.bincount(np.concatenate(chunks), minlength=program.id_limit)
