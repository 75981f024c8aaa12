"""Lowering: the front end's graph of layers → the cell IR, one registered lowering per layer."""

from __future__ import annotations

import logging

import numpy as np

from cnn2sheet.errors import SampleError, UnsupportedModelError
from cnn2sheet.frontend.graph import Graph, Op
from cnn2sheet.ir import Const, Program, Ref
from cnn2sheet.ir.program import ZERO, Port, port_name
from cnn2sheet.lowering.builder import Builder
from cnn2sheet.lowering.custom import formula_lowerings, register_layer
from cnn2sheet.lowering.registry import Lowering, find

log = logging.getLogger(__name__)

__all__ = ["check_graph", "lower", "register_layer"]


def check_graph(graph: Graph, formulas: dict[str, str] | None = None) -> None:
    """Raise one error listing every layer of ``graph`` the compiler cannot lower.

    ``formulas`` maps layer names to elementwise formulas (see :mod:`.custom`); a formula
    takes the place of the layer's class lowering.
    """
    by_name = formula_lowerings(formulas)
    problems: list[str] = []
    for op in graph.ops:
        if op.cls == "InputLayer":
            continue
        lowering = _lowering_of(op, by_name)
        if lowering is None:
            problems.append(_unsupported(op))
            continue
        problems.extend(f"{op.describe()}: {p}" for p in lowering.check(op))
    problems.extend(_unknown_formula_layers(graph, by_name))
    problems.extend(_input_problems(graph))
    if problems:
        raise UnsupportedModelError(problems)


def _lowering_of(op: Op, by_name: dict[str, Lowering]) -> Lowering | None:
    """A formula given for the layer's name wins over the lowering of its class."""
    return by_name.get(op.name) or by_name.get(op.layer.name) or find(op.cls)


def _unsupported(op: Op) -> str:
    name = op.layer.name
    return (
        f"{op.describe()}: this layer class is not supported (docs/LAYERS.md lists the "
        f"supported ones); to compile it, register a lowering with "
        f"cnn2sheet.register_layer('{op.cls}', lower_fn), or, if it maps each value on its "
        f"own, give its formula in x: --formula {name}=EXPR on the command line or "
        f"formulas={{'{name}': 'EXPR'}} in Python, e.g. --formula {name}='2*x+1'"
    )


def _unknown_formula_layers(graph: Graph, by_name: dict[str, Lowering]) -> list[str]:
    names = {op.name for op in graph.ops} | {op.layer.name for op in graph.ops}
    return [
        f"a formula is given for layer '{layer}', but the model has no layer of that name "
        f"(its layers: {', '.join(op.name for op in graph.ops if op.cls != 'InputLayer')})"
        for layer in by_name
        if layer not in names
    ]


# Layers that read an integer input as indices; any other reader needs numbers it can scale.
_INDEX_READERS = {"Embedding"}


def _input_problems(graph: Graph) -> list[str]:
    """Inputs whose dtype the workbook cannot feed: floats always, integers only as indices."""
    readers: dict[int, set[str]] = {}
    for op in graph.ops:
        for tensor in op.inputs:
            readers.setdefault(tensor.key, set()).add(op.cls)
    problems = []
    for name, tensor in graph.inputs:
        if tensor.dtype.startswith("float"):
            continue
        classes = readers.get(tensor.key, set())
        if tensor.dtype.startswith(("int", "uint")) and classes and classes <= _INDEX_READERS:
            continue
        problems.append(
            f"input '{name}': dtype {tensor.dtype} is not supported (float inputs; integer "
            f"inputs only when every layer reading them is an Embedding, here read by "
            f"{', '.join(sorted(classes)) or 'no layer'})"
        )
    return problems


def lower(
    graph: Graph,
    samples: list[np.ndarray] | None = None,
    formulas: dict[str, str] | None = None,
) -> Program:
    """Lower every layer of ``graph`` into blocks; ``samples`` fill the input cells.

    ``formulas`` maps layer names to elementwise formulas, as for :func:`check_graph`.
    """
    check_graph(graph, formulas)
    by_name = formula_lowerings(formulas)
    program = Program()
    env: dict[int, np.ndarray] = {}

    for index, (name, tensor) in enumerate(graph.inputs):
        values = _input_values(name, tensor.shape, samples, index)
        block = program.add(
            name,
            name,
            "input",
            tensor.shape,
            role="input",
            cls="InputLayer",
            values=values,
            title=f"{name} (input)",
        )
        program.inputs.append(
            Port(port_name("input", index, len(graph.inputs)), name, block.name, tensor.shape)
        )
        env[tensor.key] = block.ids

    for op in graph.ops:
        if op.cls == "InputLayer":
            continue
        builder = Builder(program, op)
        lowering = _lowering_of(op, by_name)
        outputs = lowering.lower(op, [env[t.key] for t in op.inputs], builder)
        for tensor, ids in zip(op.outputs, outputs, strict=True):
            if tuple(ids.shape) != tensor.shape:
                raise AssertionError(
                    f"{op.describe()}: lowered to shape {ids.shape}, Keras says {tensor.shape}"
                )
            env[tensor.key] = ids
        log.debug("lowered %s", op.describe())

    for index, (name, tensor) in enumerate(graph.outputs):
        block_name = _materialize(program, name, env[tensor.key])
        program.outputs.append(
            Port(port_name("output", index, len(graph.outputs)), name, block_name, tensor.shape)
        )
    return program


def _input_values(name, shape, samples, index) -> np.ndarray:
    if samples is None:
        return np.zeros(shape)
    sample = np.asarray(samples[index], dtype=np.float64)
    if sample.shape != tuple(shape):
        raise SampleError(
            f"sample for input '{name}' has shape {sample.shape}, the model expects {tuple(shape)}"
        )
    return sample


def _materialize(program: Program, layer: str, ids: np.ndarray) -> str:
    """A block holding exactly the tensor ``ids`` in C order: the existing one, or a copy."""
    flat = ids.ravel()
    if flat.size and flat[0] != ZERO:
        block = program.block_of(int(flat[0]))
        if block.size == flat.size and np.array_equal(flat, block.ids.ravel()):
            return block.name
    exprs = [Const(0.0) if i == ZERO else Ref(int(i)) for i in flat]
    block = program.add(
        f"{layer}/out",
        layer,
        "compute",
        ids.shape,
        role="output",
        exprs=exprs,
        title=f"{layer} (output view)",
    )
    return block.name
