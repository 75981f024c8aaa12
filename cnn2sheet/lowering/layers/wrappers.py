"""Wrappers: Bidirectional (two unrolled RNNs, merged) and TimeDistributed (a layer per step)."""

from __future__ import annotations

import numpy as np

from cnn2sheet.frontend.graph import Op, TensorInfo
from cnn2sheet.ir import Binary, Const, Expr, Ref
from cnn2sheet.lowering.builder import Builder
from cnn2sheet.lowering.layers.recurrent import (
    check_call,
    check_recurrent_layer,
    run_layer,
    sequence_and_states,
)
from cnn2sheet.lowering.registry import find, register


def check_bidirectional(op) -> list[str]:
    layer = op.layer
    problems = check_call(op)
    halves = (layer.forward_layer, layer.backward_layer)
    for half, prefix in zip(halves, ("forward", "backward"), strict=True):
        problems.extend(f"{prefix} layer: {p}" for p in check_recurrent_layer(half))
    forward, backward = (getattr(h.cell, "units", None) for h in halves)
    if forward != backward:
        # Keras derives the merged shape from the forward layer alone, so it would be wrong.
        problems.append(
            f"backward_layer has {backward} units and the forward layer {forward}: Keras "
            "declares the merged shape from the forward layer alone (give both the same units)"
        )
    return problems


_MERGES = {
    "sum": lambda a, b: Binary("+", a, b),
    "mul": lambda a, b: Binary("*", a, b),
    "ave": lambda a, b: Binary("/", Binary("+", a, b), Const(2.0)),
}


@register(
    "Bidirectional",
    check=check_bidirectional,
    options="a SimpleRNN, LSTM or GRU (their options); merge_mode concat (no cells), sum, mul, "
    "ave, None; return_state; initial_state",
)
def lower_bidirectional(op, inputs, builder):
    layer = op.layer
    sequence, initial = sequence_and_states(op, inputs)
    half = len(initial) // 2

    forward = run_layer(builder, layer.forward_layer, sequence, initial[:half], "forward ")
    backward = run_layer(builder, layer.backward_layer, sequence, initial[half:], "backward ")
    y, y_rev = forward[0], backward[0]
    if layer.return_sequences:
        # The backward pass returns its steps last input first; Keras flips them back.
        y_rev = y_rev[::-1]
    states = forward[1:] + backward[1:]

    if layer.merge_mode is None:
        return [y, y_rev, *states]
    if layer.merge_mode == "concat":
        merged = np.concatenate([y, y_rev], axis=-1)  # references only
    else:
        merge = _MERGES[layer.merge_mode]
        exprs: list[Expr] = [
            merge(Ref(int(a)), Ref(int(b))) for a, b in zip(y.ravel(), y_rev.ravel(), strict=True)
        ]
        merged = builder.compute(y.shape, exprs, title=f"{builder.title}: {layer.merge_mode}")
    return [merged, *states]


class _StepBuilder(Builder):
    """Builds one time slice of a TimeDistributed layer: weights shared, blocks named by step.

    The wrapped layer's lowering sees its own op (its options, its shapes per slice); the
    blocks belong to the TimeDistributed layer, so they form one section of the sheet.
    """

    def __init__(self, program, outer: Op, inner: Op, step: int, params: dict):
        super().__init__(program, inner)
        self.outer = outer
        self.layer = outer.name
        self.title = f"{outer.name} ({outer.cls} {inner.cls}) t={step}"
        self.step = step
        self.params = params

    def param(self, role: str, values: np.ndarray) -> np.ndarray:
        """The weights block of the first slice, reused by every later one."""
        if role not in self.params:
            values = np.asarray(values, dtype=np.float64)
            self.params[role] = self._add(
                f"{self.layer}/{role}", "param", values.shape, role, f"{self.layer} {role}",
                values=values,
            )  # fmt: skip
        return self.params[role]

    def compute(self, shape, exprs, role="output", title=None) -> np.ndarray:
        """A block named ``layer/t<step>`` (plus the role), so every step can be told apart."""
        name = f"{self.layer}/t{self.step}" + ("" if role == "output" else f" {role}")
        return self._add(name, "compute", shape, role, title or self._title(role), exprs=exprs)

    def _add(self, name, kind, shape, role, title, *, exprs=None, values=None) -> np.ndarray:
        block = self.program.add(
            name,
            self.layer,
            kind,
            shape,
            role=role,
            exprs=None if exprs is None else list(exprs),
            values=values,
            title=title,
            cls=self.outer.cls,
        )
        return block.ids


def _inner_op(op: Op) -> Op:
    """The wrapped layer applied to one time slice, with the slice's shapes."""
    (source,), (result,) = op.inputs, op.outputs
    return Op(
        layer=op.layer.layer,
        inputs=[TensorInfo(-1, source.shape[1:], source.dtype)],
        outputs=[TensorInfo(-2, result.shape[1:], result.dtype)],
    )


def check_time_distributed(op) -> list[str]:
    inner = _inner_op(op)
    lowering = find(inner.cls)
    if lowering is None:
        return [f"wrapped {inner.describe()}: this layer class is not supported"]
    return [f"wrapped {inner.describe()}: {p}" for p in lowering.check(inner)]


@register(
    "TimeDistributed",
    check=check_time_distributed,
    options="any supported layer with one input and output, lowered once per time step "
    "with its weights shared",
)
def lower_time_distributed(op, inputs, builder):
    inner = _inner_op(op)
    lowering = find(inner.cls)
    params: dict[str, np.ndarray] = {}
    slices = []
    for step, ids in enumerate(inputs[0]):
        step_builder = _StepBuilder(builder.program, op, inner, step, params)
        (out,) = lowering.lower(inner, [ids], step_builder)
        if tuple(out.shape) != inner.outputs[0].shape:
            raise AssertionError(
                f"{inner.describe()}: a slice lowered to {out.shape}, "
                f"Keras says {inner.outputs[0].shape}"
            )
        slices.append(out)
    return [np.stack(slices)]
