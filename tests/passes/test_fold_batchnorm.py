"""fold_batchnorm on tiny hand-built programs: when it folds, that the values stay, and when
it declines."""

from __future__ import annotations

import numpy as np
import pytest

from cnn2sheet.ir import Binary, Dot, Func, Program, Ref
from cnn2sheet.ir.check import check_program
from cnn2sheet.ir.evaluate import evaluate
from cnn2sheet.ir.program import Port
from cnn2sheet.lowering.elementwise import cell, num, sub
from cnn2sheet.lowering.statistics import standardize
from cnn2sheet.passes.dead_cells import remove_dead_cells
from cnn2sheet.passes.fold_batchnorm import fold_batchnorm

KERNEL = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
STATISTICS = {
    "moving_mean": [0.3, -0.7],
    "moving_variance": [0.5, 2.0],
    "gamma": [1.5, -0.8],
    "beta": [0.25, 1.0],
}


def _program(
    *, bias=True, scale=True, center=True, between=None, shared_row=False, from_input=False
):
    """x (3) → dense: SUMPRODUCT(x, w[u]) + b[u] → [between] → bn, the model's output."""
    program = Program()
    x = program.add("x", "x", "input", (3,), values=np.array([0.5, -1.0, 2.0])).ids
    w = program.add("dense/kernel", "dense", "param", (2, 3), values=KERNEL).ids
    b = program.add("dense/bias", "dense", "param", (2,), values=np.array([0.1, -0.2])).ids
    rows = [w[0], w[0]] if shared_row else [w[0], w[1]]
    sums = [
        Binary("+", Dot(x, row), Ref(int(b[u]))) if bias else Dot(x, row)
        for u, row in enumerate(rows)
    ]
    linear = program.add("dense", "dense", "compute", (2,), exprs=sums).ids
    if between is not None:
        linear = program.add("act", "act", "compute", (2,), exprs=[between(i) for i in linear]).ids
    if from_input:
        linear = x[:2]
    stats = {
        name: program.add(f"bn/{name}", "bn", "param", (2,), values=np.array(v)).ids
        for name, v in STATISTICS.items()
    }
    exprs = [
        standardize(
            sub(cell(linear[c]), Ref(int(stats["moving_mean"][c]))),
            Ref(int(stats["moving_variance"][c])),
            1e-3,
            Ref(int(stats["gamma"][c])) if scale else None,
            Ref(int(stats["beta"][c])) if center else None,
        )
        for c in range(2)
    ]
    bn = program.add("bn", "bn", "compute", (2,), exprs=exprs)
    program.outputs.append(Port("output", "bn", bn.name, (2,)))
    return program


def _outputs(program: Program) -> np.ndarray:
    return evaluate(program)[program.blocks["bn"].ids]


@pytest.mark.parametrize(
    "options",
    [{}, {"bias": False}, {"scale": False}, {"center": False}, {"scale": False, "center": False}],
    ids=["all", "no_bias", "no_scale", "no_center", "no_scale_no_center"],
)
def test_fold_keeps_the_values_and_removes_the_dense_cells(options):
    program = _program(**options)
    before = _outputs(program)

    changed = fold_batchnorm(program)
    remove_dead_cells(program)

    check_program(program)
    assert changed
    np.testing.assert_allclose(_outputs(program), before, rtol=1e-14)
    assert "dense" not in program.blocks
    assert [b.name for b in program.compute_blocks()] == ["bn"]
    assert all(
        isinstance(e, Binary) and isinstance(e.left, Dot) for e in program.blocks["bn"].exprs
    )
    assert program.blocks["bn"].layers == ["dense", "bn"]


def test_folded_weights_are_scaled_per_channel():
    program = _program()

    fold_batchnorm(program)

    kernel = program.blocks["dense/kernel (folded)"]
    scale = np.array(STATISTICS["gamma"]) / np.sqrt(np.array(STATISTICS["moving_variance"]) + 1e-3)
    np.testing.assert_allclose(kernel.values, KERNEL * scale[:, None], rtol=1e-15)
    assert kernel.layer == "bn"


def _relu(i):
    return Func("MAX", (num(0), Ref(int(i))))


@pytest.mark.parametrize(
    "options",
    [{"between": _relu}, {"shared_row": True}, {"from_input": True}],
    ids=["activation_between", "weights_shared_by_two_channels", "batchnorm_of_an_input"],
)
def test_fold_declines(options):
    program = _program(**options)
    names = list(program.blocks)

    changed = fold_batchnorm(program)

    assert not changed
    assert list(program.blocks) == names


def test_fold_declines_when_the_weighted_sums_are_also_an_output():
    program = _program()
    program.outputs.append(Port("output_1", "dense", "dense", (2,)))

    changed = fold_batchnorm(program)

    assert not changed
    assert "dense" in program.blocks
