"""The arguments a layer was called with: flags such as ``use_causal_mask``, and tensors by role.

Layers such as MultiHeadAttention (``query``, ``value``, ``key``) or an RNN given
``initial_state`` take several tensors; the front end keeps the call's arguments on the op, and
the lowering receives the ids of ``op.inputs`` in order. These helpers connect the two.
"""

from __future__ import annotations

import numpy as np

from cnn2sheet.frontend.graph import Op

_MISSING = object()


def argument(op: Op, name: str, position: int | None = None, default=None):
    """The value passed as ``name=`` (or as positional ``position``) in the layer call."""
    value = op.kwargs.get(name, _MISSING)
    if value is _MISSING and position is not None and position < len(op.args):
        value = op.args[position]
    return default if value is _MISSING else value


def tensor_ids(op: Op, inputs: list[np.ndarray], tensor) -> np.ndarray:
    """The ids of ``tensor``, a Keras tensor passed in the call (``inputs`` follows ``op.inputs``).

    Keras lists a node's input tensors in the order they appear in its flattened arguments, so
    the tensor's place there is its place in ``op.inputs``. That holds inside an inlined
    nested model too, where the op's tensors stand for the outer ones the call received.
    """
    flat = [a for a in _flatten((op.args, op.kwargs)) if _is_tensor(a)]
    if len(flat) == len(inputs):
        for position, candidate in enumerate(flat):
            if candidate is tensor:
                return inputs[position]
    for info, ids in zip(op.inputs, inputs, strict=True):
        if info.key == id(tensor):
            return ids
    raise KeyError(f"{op.describe()}: a call argument is not among the layer's input tensors")


def _flatten(structure) -> list:
    import keras

    return keras.tree.flatten(structure)


def _is_tensor(value) -> bool:
    import keras

    return isinstance(value, keras.KerasTensor)


def listed(value) -> list:
    """``value`` as a list: None → [], one item → [item], a list or tuple → itself."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
