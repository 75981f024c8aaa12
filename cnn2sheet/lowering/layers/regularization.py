"""Regularization layers: active only in training, so at inference they pass values through.

They make no cells; the next layer reads the cells of the layer before. Dropout itself is
registered with the core layers.
"""

from __future__ import annotations

from cnn2sheet.lowering.registry import register

_TRAINING_ONLY = (
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
)


def check_inference(op) -> list[str]:
    """A layer forced into training mode would add noise: refuse it."""
    if op.kwargs.get("training") is True:
        return ["called with training=True: it would add random noise, which a workbook cannot"]
    return []


@register(*_TRAINING_ONLY, check=check_inference, options="identity at inference", view=True)
def lower_training_only(op, inputs, builder):
    return [inputs[0]]


@register("ActivityRegularization", options="identity (it only adds a training loss)", view=True)
def lower_activity_regularization(op, inputs, builder):
    return [inputs[0]]
