"""Lowering: the front end's graph of layers → the cell IR, one registered lowering per layer."""

from __future__ import annotations

import logging

import numpy as np

from cnn2sheet.errors import SampleError, UnsupportedModelError
from cnn2sheet.frontend.graph import Graph
from cnn2sheet.ir import Const, Program, Ref
from cnn2sheet.ir.program import ZERO, Port, port_name
from cnn2sheet.lowering.builder import Builder
from cnn2sheet.lowering.registry import find, supported_layers

log = logging.getLogger(__name__)

__all__ = ["check_graph", "lower"]


def check_graph(graph: Graph) -> None:
    """Raise one error listing every layer of ``graph`` the compiler cannot lower."""
    problems: list[str] = []
    for op in graph.ops:
        if op.cls == "InputLayer":
            continue
        lowering = find(op.cls)
        if lowering is None:
            problems.append(
                f"{op.describe()}: this layer class is not supported "
                f"(supported: {', '.join(lw.cls for lw in supported_layers())})"
            )
            continue
        problems.extend(f"{op.describe()}: {p}" for p in lowering.check(op))
    for name, tensor in graph.inputs:
        if not tensor.dtype.startswith("float"):
            problems.append(
                f"input '{name}': dtype {tensor.dtype} is not supported (float inputs only)"
            )
    if problems:
        raise UnsupportedModelError(problems)


def lower(graph: Graph, samples: list[np.ndarray] | None = None) -> Program:
    """Lower every layer of ``graph`` into blocks; ``samples`` fill the input cells."""
    check_graph(graph)
    program = Program()
    env: dict[int, np.ndarray] = {}

    for index, (name, tensor) in enumerate(graph.inputs):
        values = _input_values(name, tensor.shape, samples, index)
        block = program.add(
            name, name, "input", tensor.shape, role="input",
            cls="InputLayer", values=values, title=f"{name} (input)"
        )
        program.inputs.append(
            Port(port_name("input", index, len(graph.inputs)), name, block.name, tensor.shape)
        )
        env[tensor.key] = block.ids

    for op in graph.ops:
        if op.cls == "InputLayer":
            continue
        builder = Builder(program, op)
        outputs = find(op.cls).lower(op, [env[t.key] for t in op.inputs], builder)
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
