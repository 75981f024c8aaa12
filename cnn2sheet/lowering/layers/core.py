"""Layers that only move or pass values: Dropout, Flatten, Activation."""

from __future__ import annotations

from cnn2sheet.lowering import activations
from cnn2sheet.lowering.channels import to_last
from cnn2sheet.lowering.registry import register


@register("Dropout", options="identity at inference", view=True)
def lower_identity(op, inputs, builder):
    return [inputs[0]]


@register(
    "Flatten",
    options="a reference-only reshape: no cells; channels_first flattens channels-last, as Keras "
    "does",
    view=True,
)
def lower_flatten(op, inputs, builder):
    return [to_last(op, inputs[0]).reshape(-1)]


@register(
    "Activation",
    options=f"activation: {', '.join(activations.SUPPORTED)}",
    check=activations.check_activation,
)
def lower_activation(op, inputs, builder):
    name = activations.activation_name(op.layer.activation)
    return [activations.apply(builder, inputs[0], name)]
