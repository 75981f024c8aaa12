"""Convolutions: each output cell one weighted sum over its window, plus the bias."""

from __future__ import annotations

import numpy as np

from cnn2sheet.lowering import activations
from cnn2sheet.lowering.linear import weighted_sums, with_activation
from cnn2sheet.lowering.registry import register
from cnn2sheet.lowering.windows import windows


def check_conv(op) -> list[str]:
    layer = op.layer
    problems = activations.check_activation(op)
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        problems.append(f"data_format '{layer.data_format}' is not supported (channels_last only)")
    if getattr(layer, "groups", 1) != 1:
        problems.append(f"groups={layer.groups} is not supported (groups=1 only)")
    if layer.padding not in ("valid", "same"):
        problems.append(f"padding '{layer.padding}' is not supported (valid, same)")
    return problems


@register(
    "Conv2D",
    check=check_conv,
    options="padding valid/same, any kernel size, strides, dilation_rate, use_bias, "
    "activation; channels_last; groups=1",
)
def lower_conv(op, inputs, builder):
    layer = op.layer
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float64)  # (*k, cin, cout)
    rank = kernel.ndim - 2
    cout = kernel.shape[-1]

    # Weights block: one filter after another, each laid out like its window (*k, cin).
    filters = builder.param("kernel", np.moveaxis(kernel, -1, 0))
    bias = builder.param("bias", layer.bias.numpy()) if layer.use_bias else None

    wins = windows(
        inputs[0], kernel.shape[:rank], layer.strides, layer.dilation_rate, layer.padding
    )
    out_spatial = wins.shape[:rank]
    exprs = weighted_sums(wins.reshape(-1, filters[0].size), filters.reshape(cout, -1), bias)
    return [with_activation(builder, (*out_spatial, cout), exprs)]
