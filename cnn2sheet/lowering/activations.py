"""Activation functions as cells: every activation Keras accepts by name, and its options.

Elementwise activations (:mod:`~cnn2sheet.lowering.elementwise`) become one formula per cell that
the fuse_activations pass can fold into the cells feeding them; activations over an axis
(:mod:`~cnn2sheet.lowering.along_axis`: softmax, log_softmax, sparsemax, GLU) get helper cells.
"""

from __future__ import annotations

import numpy as np

from cnn2sheet.lowering.along_axis import ALONG_AXIS, softmax
from cnn2sheet.lowering.builder import Builder
from cnn2sheet.lowering.elementwise import ELEMENTWISE, cell

__all__ = [
    "ALONG_AXIS", "DECLINED", "ELEMENTWISE", "SUPPORTED", "activation_name", "apply",
    "cell", "check_activation", "softmax",
]  # fmt: skip

DECLINED = {
    "threshold": "Keras gives it no default threshold or default_value, so it cannot be used "
    "by name; call keras.ops.threshold(x, threshold, default_value) on a tensor instead",
    "glu": "it halves its axis but Keras's layers report the unhalved shape, so the model's "
    "static shapes are wrong; call keras.ops.glu(x, axis) on a tensor instead",
}
"""Names ``keras.activations`` lists that a layer cannot use by name, with the reason."""

SUPPORTED = tuple(sorted({"linear", *ELEMENTWISE, *ALONG_AXIS} - set(DECLINED)))
"""Every activation name a layer's ``activation=`` may hold (aliases swish, hard_swish too)."""


def activation_name(activation) -> str:
    """The Keras name of an activation given as a function or a string."""
    if isinstance(activation, str):
        return activation
    import keras

    try:
        name = keras.activations.serialize(activation)
    except (ValueError, TypeError):
        # A lambda or an unregistered function: its own name is the best description.
        return getattr(activation, "__name__", repr(activation))
    if isinstance(name, dict):
        name = name.get("config", name.get("class_name", repr(name)))
    return str(name)


def check_activation(op, attr: str = "activation") -> list[str]:
    """Problems with ``op.layer.<attr>``: empty when the activation is supported."""
    name = activation_name(getattr(op.layer, attr))
    return check_name(name, attr)


def check_name(name: str, option: str = "activation") -> list[str]:
    """Problems with using the activation ``name`` by name: empty when it is supported."""
    if name in SUPPORTED:
        return []
    if name in DECLINED:
        return [f"{option} '{name}' is not supported: {DECLINED[name]}"]
    return [f"{option} '{name}' is not supported (supported: {', '.join(SUPPORTED)})"]


def apply(
    builder: Builder,
    ids: np.ndarray,
    name: str,
    *,
    axis=-1,
    role: str = "output",
    **options,
) -> np.ndarray:
    """Cells computing activation ``name`` (with Keras ``options``) of the tensor ``ids``.

    ``axis`` (one or several, counted without the batch axis) matters only to activations over
    an axis. Returns the result's ids; "linear" makes no cells.
    """
    if name == "linear":
        return ids
    if name in ELEMENTWISE:
        fn = ELEMENTWISE[name]
        return builder.compute(
            ids.shape,
            (fn(cell(i), **options) for i in ids.ravel()),
            role=role,
            title=f"{builder.title}: {name}",
        )
    if name in ALONG_AXIS:
        return ALONG_AXIS[name](builder, ids, axis=axis, role=role)
    raise ValueError(f"{builder.op.describe()}: activation '{name}' is not supported")
