"""Progress reporting: the library calls ``progress(stage, done, total)``; the CLI draws bars."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Progress = Callable[[str, int, int], None]
T = TypeVar("T")


def track_cells(blocks: Iterable[T], stage: str, progress: Progress | None) -> Iterator[T]:
    """Yield ``blocks`` and report, after each, how many of their cells are done."""
    blocks = list(blocks)
    if progress is None:
        yield from blocks
        return
    total = sum(b.size for b in blocks)
    done = 0
    progress(stage, 0, total)
    for block in blocks:
        yield block
        done += block.size
        progress(stage, done, total)
