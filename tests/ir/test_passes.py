"""The rewriting passes on tiny hand-built programs, checked by the IR checker after each."""

from __future__ import annotations

import numpy as np
import pytest

from cnn2sheet.ir import Binary, Cells, Const, Dot, Func, Program, Ref
from cnn2sheet.ir.check import ProgramInvariantError, check_program
from cnn2sheet.ir.program import Port
from cnn2sheet.passes import run_passes
from cnn2sheet.passes.dead_cells import remove_dead_cells
from cnn2sheet.passes.fuse import fuse_activations
from cnn2sheet.passes.inline_pooling import inline_pooling


def _dense_relu() -> Program:
    """x (2 cells) → linear = x·w + b (1 cell) → relu (1 cell), the output."""
    p = Program()
    x = p.add("x", "x", "input", (2,), values=np.array([1.0, -2.0]))
    w = p.add("d/kernel", "d", "param", (2,), values=np.array([0.5, 0.25]))
    b = p.add("d/bias", "d", "param", (1,), values=np.array([0.1]))
    linear = p.add(
        "d/linear",
        "d",
        "compute",
        (1,),
        role="linear",
        exprs=[Binary("+", Dot(x.ids, w.ids), Ref(b.start))],
    )
    relu = p.add("d", "d", "compute", (1,), exprs=[Func("MAX", (Const(0.0), Ref(linear.start)))])
    p.outputs.append(Port("output", "d", relu.name, (1,)))
    return p


def test_fuse_activations_inlines_the_linear_cell():
    program = _dense_relu()
    x, w, b = (program.blocks[n] for n in ("x", "d/kernel", "d/bias"))

    changed = fuse_activations(program)

    assert changed
    assert "d/linear" not in program.blocks
    (expr,) = program.blocks["d"].exprs
    assert expr == Func("MAX", (Const(0.0), Binary("+", Dot(x.ids, w.ids), Ref(b.start))))
    check_program(program)


def test_fuse_activations_declines_a_cell_read_twice():
    program = _dense_relu()
    linear = program.blocks["d/linear"]
    program.blocks["d"].exprs = [Binary("*", Ref(linear.start), Ref(linear.start))]

    changed = fuse_activations(program)

    assert not changed
    assert "d/linear" in program.blocks


def test_fuse_activations_declines_when_the_source_is_an_output():
    program = _dense_relu()
    program.outputs.append(Port("output_1", "d", "d/linear", (1,)))

    assert not fuse_activations(program)


def test_remove_dead_cells_drops_unread_blocks_but_keeps_inputs():
    program = _dense_relu()
    x = program.blocks["x"]
    program.add("unused", "u", "compute", (1,), exprs=[Func("SUM", (Cells(x.ids),))])
    program.add("unused/kernel", "u", "param", (3,), values=np.zeros(3))

    changed = remove_dead_cells(program)

    assert changed
    assert set(program.blocks) == {"x", "d/kernel", "d/bias", "d/linear", "d"}
    assert not remove_dead_cells(program)


def test_pipeline_keeps_the_program_valid():
    program = _dense_relu()

    run_passes(program, check=check_program)

    assert list(program.blocks) == ["x", "d/kernel", "d/bias", "d"]


def test_checker_catches_a_read_of_a_later_block():
    program = _dense_relu()
    late = program.add("late", "late", "param", (1,), values=np.array([1.0]))
    program.blocks["d"].exprs = [Ref(late.start)]

    with pytest.raises(ProgramInvariantError, match="reads cell id .* which no earlier block"):
        check_program(program)


def _conv_pool(overlap: bool) -> Program:
    """x (4 cells) → relu cells (4) → max pooling: one window of 4, or two overlapping of 3."""
    p = Program()
    x = p.add("x", "x", "input", (4,), values=np.array([1.0, -2.0, 3.0, 0.5]))
    relu = p.add(
        "c",
        "c",
        "compute",
        (4,),
        exprs=[Func("MAX", (Const(0.0), Binary("*", Ref(i), Const(2.0)))) for i in x.ids],
    )
    windows = [relu.ids[:3], relu.ids[1:]] if overlap else [relu.ids]
    pool = p.add(
        "pool",
        "pool",
        "compute",
        (len(windows),),
        exprs=[Func("MAX", (Cells(w),)) for w in windows],
    )
    p.outputs.append(Port("output", "pool", pool.name, pool.shape))
    return p


def test_inline_pooling_merges_the_window_into_one_max():
    program = _conv_pool(overlap=False)
    x = program.blocks["x"]

    changed = inline_pooling(program)

    assert changed and "c" not in program.blocks
    (expr,) = program.blocks["pool"].exprs
    doubled = tuple(Binary("*", Ref(int(i)), Const(2.0)) for i in x.ids)
    assert expr == Func("MAX", (Const(0.0), *doubled))
    check_program(program)


def test_inline_pooling_declines_overlapping_windows():
    program = _conv_pool(overlap=True)

    assert not inline_pooling(program)
    assert "c" in program.blocks
