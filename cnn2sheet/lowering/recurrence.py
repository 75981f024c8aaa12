"""Recurrent cells unrolled over time: each step's gates and states are blocks of their own.

One step of an LSTM reading ``x[t]`` becomes three blocks side by side::

    step 2 gates i f c o   (4 rows × units)   each cell act(Σ x·W + Σ h·U + b)
    step 2 c               (units)            f·c₋₁ + i·c̃
    step 2 h               (units)            o·act(c)

Weights are param blocks laid out ``(gate, unit, input)``: a unit's weights are one row, so
every gate cell multiplies the step's input row (and the previous ``h``) with one contiguous
row of weights, one SUMPRODUCT each. A zero initial state drops its terms from the first step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnn2sheet.ir import Binary, Const, Expr, Ref
from cnn2sheet.lowering import activations
from cnn2sheet.lowering.activations import cell
from cnn2sheet.lowering.builder import Builder
from cnn2sheet.lowering.terms import dot, total, weight_array

# Keras cell class → the layer kind and its gate order in the kernel's columns.
KINDS = {"SimpleRNNCell": "SimpleRNN", "LSTMCell": "LSTM", "GRUCell": "GRU"}
GATES = {"SimpleRNN": ("h",), "LSTM": ("i", "f", "c", "o"), "GRU": ("z", "r", "h")}

Activation = Callable[[Expr], Expr]


def _identity(x: Expr) -> Expr:
    return x


def activation_fn(name: str) -> Activation:
    """The elementwise activation ``name`` as an expression builder ('linear' is the identity)."""
    return _identity if name == "linear" else activations.ELEMENTWISE[name]


def check_cell(rnn_cell) -> list[str]:
    """Problems with a recurrent cell's kind and activations (empty when it can be unrolled)."""
    kind = KINDS.get(type(rnn_cell).__name__)
    if kind is None:
        return [
            f"cell {type(rnn_cell).__name__} is not supported "
            f"(supported: {', '.join(sorted(KINDS))})"
        ]
    problems = []
    attrs = ("activation",) if kind == "SimpleRNN" else ("activation", "recurrent_activation")
    for attr in attrs:
        name = activations.activation_name(getattr(rnn_cell, attr))
        if name in activations.ALONG_AXIS:
            problems.append(
                f"{attr} '{name}' is not supported in a recurrent cell: it acts along an axis "
                "and each gate cell is one formula (elementwise activations only)"
            )
        else:
            problems.extend(activations.check_name(name, attr))
    return problems


@dataclass
class CellWeights:
    """A cell's weights as param ids, ``(gate, unit, ...)``, and its activations."""

    kind: str
    units: int
    kernel: np.ndarray  # (gates, units, input features)
    recurrent: np.ndarray  # (gates, units, units)
    bias: np.ndarray | None  # (gates, units): the input bias
    recurrent_bias: np.ndarray | None  # (gates, units): GRU with reset_after only
    activation: Activation
    recurrent_activation: Activation
    reset_after: bool = False


def cell_weights(builder: Builder, rnn_cell, prefix: str = "") -> CellWeights:
    """Param blocks for ``rnn_cell``'s kernel, recurrent kernel and bias(es)."""
    kind = KINDS[type(rnn_cell).__name__]
    gates, units = len(GATES[kind]), rnn_cell.units

    def by_gate(values: np.ndarray) -> np.ndarray:
        # (rows, gates·units) → (gates, units, rows): a unit's weights become one row.
        return values.reshape(values.shape[0], gates, units).transpose(1, 2, 0)

    kernel = builder.param(f"{prefix}kernel", by_gate(weight_array(rnn_cell.kernel)))
    recurrent = builder.param(
        f"{prefix}recurrent kernel", by_gate(weight_array(rnn_cell.recurrent_kernel))
    )
    bias = recurrent_bias = None
    reset_after = kind == "GRU" and bool(rnn_cell.reset_after)
    if rnn_cell.use_bias:
        values = weight_array(rnn_cell.bias).reshape(-1, gates, units)
        bias = builder.param(f"{prefix}bias", values[0])
        if reset_after:
            recurrent_bias = builder.param(f"{prefix}recurrent bias", values[1])
    recurrent_name = getattr(rnn_cell, "recurrent_activation", None)
    return CellWeights(
        kind,
        units,
        kernel,
        recurrent,
        bias,
        recurrent_bias,
        activation_fn(activations.activation_name(rnn_cell.activation)),
        activation_fn(activations.activation_name(recurrent_name or "linear")),
        reset_after,
    )


def unroll(
    builder: Builder,
    weights: CellWeights,
    sequence: np.ndarray,
    initial: list[np.ndarray] | None,
    *,
    go_backwards: bool = False,
    prefix: str = "",
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Run the cell over ``sequence`` (T, features): each step's ``h`` ids, and the last states.

    The steps come in processing order, as Keras returns them: with ``go_backwards`` the first
    step reads the last input.
    """
    step_fn = _STEPS[weights.kind]
    states: list[np.ndarray | None] = list(initial) if initial else [None] * _STATES[weights.kind]
    length = sequence.shape[0]
    outputs = []
    for step in range(length):
        t = length - 1 - step if go_backwards else step
        label = f"{prefix}step {step}" + (f" (x[{t}])" if go_backwards else "")
        states = step_fn(_Step(builder, weights, sequence[t], label), states)
        outputs.append(states[0])
    return outputs, states


_STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}


@dataclass
class _Step:
    """What one time step's formulas need: where to add blocks, the weights and ``x[t]``."""

    builder: Builder
    w: CellWeights
    x: np.ndarray
    label: str

    def block(self, what: str, shape: tuple[int, ...], exprs: list[Expr]) -> np.ndarray:
        role = f"{self.label} {what}"
        return self.builder.compute(shape, exprs, role=role, title=f"{self.builder.title}: {role}")

    def input_sum(self, gate: int, unit: int, h: np.ndarray | None) -> list[Expr | None]:
        """Σ x·W (+ Σ h·U) (+ b) of one gate's unit, as terms."""
        w = self.w
        return [
            dot(self.x, w.kernel[gate, unit]),
            None if h is None else dot(h, w.recurrent[gate, unit]),
            None if w.bias is None else Ref(int(w.bias[gate, unit])),
        ]


def _simple_rnn_step(s: _Step, states):
    (h,) = states
    exprs = [s.w.activation(total(s.input_sum(0, u, h))) for u in range(s.w.units)]
    return [s.block("h", (s.w.units,), exprs)]


def _lstm_step(s: _Step, states):
    h, c = states
    units, w = s.w.units, s.w
    acts = (w.recurrent_activation, w.recurrent_activation, w.activation, w.recurrent_activation)
    gates = s.block(
        "gates i f c o",
        (4, units),
        [acts[g](total(s.input_sum(g, u, h))) for g in range(4) for u in range(units)],
    )
    i, f, candidate, o = gates
    c_new = s.block(
        "c",
        (units,),
        [
            total(
                [
                    None if c is None else Binary("*", Ref(int(f[u])), cell(c[u])),
                    Binary("*", Ref(int(i[u])), Ref(int(candidate[u]))),
                ]
            )
            for u in range(units)
        ],
    )
    h_new = s.block(
        "h",
        (units,),
        [Binary("*", Ref(int(o[u])), w.activation(Ref(int(c_new[u])))) for u in range(units)],
    )
    return [h_new, c_new]


def _gru_step(s: _Step, states):
    (h,) = states
    units, w = s.w.units, s.w
    rec_bias = w.recurrent_bias

    def gate_sum(g: int, u: int) -> Expr:
        terms = s.input_sum(g, u, h)
        if rec_bias is not None:
            terms.append(Ref(int(rec_bias[g, u])))
        return total(terms)

    z, r = s.block(
        "gates z r",
        (2, units),
        [w.recurrent_activation(gate_sum(g, u)) for g in range(2) for u in range(units)],
    )

    if w.reset_after:
        # Keras: h̃ = act(x·Wh + bh + r ⊙ (h·Uh + b'h)) — the reset gate scales the whole
        # recurrent term, its bias included.
        def candidate(u: int) -> Expr:
            inner = [
                None if h is None else dot(h, w.recurrent[2, u]),
                None if rec_bias is None else Ref(int(rec_bias[2, u])),
            ]
            x_terms = s.input_sum(2, u, None)
            if any(t is not None for t in inner):
                x_terms.append(Binary("*", Ref(int(r[u])), total(inner)))
            return w.activation(total(x_terms))

    else:
        # Keras: h̃ = act(x·Wh + (r ⊙ h)·Uh + bh) — the reset gate scales h before the product,
        # so r ⊙ h gets cells of its own (nothing to scale while h is the zero initial state).
        rh = None
        if h is not None:
            rh = s.block(
                "r*h", (units,), [Binary("*", Ref(int(r[u])), cell(h[u])) for u in range(units)]
            )

        def candidate(u: int) -> Expr:
            terms = s.input_sum(2, u, rh)
            return w.activation(total(terms))

    h_tilde = s.block("candidate", (units,), [candidate(u) for u in range(units)])

    def new_h(u: int) -> Expr:
        keep = Binary("-", Const(1.0), Ref(int(z[u])))
        fresh = Binary("*", keep, Ref(int(h_tilde[u])))
        if h is None:
            return fresh
        return Binary("+", Binary("*", Ref(int(z[u])), cell(h[u])), fresh)

    return [s.block("h", (units,), [new_h(u) for u in range(units)])]


_STEPS = {"SimpleRNN": _simple_rnn_step, "LSTM": _lstm_step, "GRU": _gru_step}
