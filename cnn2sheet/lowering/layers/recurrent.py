"""SimpleRNN, LSTM, GRU and RNN over those cells: unrolled over the time steps in cells."""

from __future__ import annotations

import numpy as np

from cnn2sheet.lowering import recurrence
from cnn2sheet.lowering.builder import Builder
from cnn2sheet.lowering.calls import argument, listed, tensor_ids
from cnn2sheet.lowering.registry import register


def check_recurrent_layer(layer) -> list[str]:
    """Problems with an RNN layer object (also used for the halves of a Bidirectional)."""
    problems = recurrence.check_cell(layer.cell)
    if layer.stateful:
        problems.append(
            "stateful=True is not supported: the state carried between calls lives outside "
            "the sheet, which computes one sequence from its initial state (use stateful=False)"
        )
    return problems


def check_call(op) -> list[str]:
    """Problems with how the layer was called: a mask cannot be expressed."""
    if argument(op, "mask", 2) is not None:
        return ["a mask was passed: masking cannot be expressed in cells"]
    return []


def check_rnn(op) -> list[str]:
    return check_recurrent_layer(op.layer) + check_call(op)


def run_layer(
    builder: Builder, layer, sequence: np.ndarray, initial: list[np.ndarray], prefix: str = ""
) -> list[np.ndarray]:
    """The layer's outputs as Keras returns them: the output, then the states if asked for."""
    weights = recurrence.cell_weights(builder, layer.cell, prefix)
    outputs, states = recurrence.unroll(
        builder, weights, sequence, initial or None, go_backwards=layer.go_backwards, prefix=prefix
    )
    output = np.stack(outputs) if layer.return_sequences else outputs[-1]
    return [output, *states] if layer.return_state else [output]


def sequence_and_states(op, inputs) -> tuple[np.ndarray, list[np.ndarray]]:
    """The ids of the call's ``sequences`` and of its ``initial_state`` tensors, if any."""
    sequence = tensor_ids(op, inputs, argument(op, "sequences", 0))
    initial = [tensor_ids(op, inputs, s) for s in listed(argument(op, "initial_state", 1))]
    return sequence, initial


_OPTIONS = (
    "units, use_bias, return_sequences, return_state, go_backwards, initial_state, every "
    "elementwise activation{}; unrolled: each step's {} one block; dropout is inference's "
    "identity, unroll irrelevant; stateful=False, no mask"
)


@register("SimpleRNN", check=check_rnn, options=_OPTIONS.format("", "h"))
@register("LSTM", check=check_rnn, options=_OPTIONS.format("/recurrent_activation", "gates, c, h"))
@register(
    "GRU",
    check=check_rnn,
    options=_OPTIONS.format("/recurrent_activation", "gates, candidate, h")
    + "; reset_after True/False",
)
@register(
    "RNN",
    check=check_rnn,
    options="a SimpleRNNCell, LSTMCell or GRUCell, with the options of those layers",
)
def lower_rnn(op, inputs, builder):
    sequence, initial = sequence_and_states(op, inputs)
    return run_layer(builder, op.layer, sequence, initial)
