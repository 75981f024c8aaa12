"""Dense: each output cell one weighted sum over the last axis of its input, plus the bias."""

from __future__ import annotations

import numpy as np

from cnn2sheet.lowering import activations
from cnn2sheet.lowering.linear import weighted_sums, with_activation
from cnn2sheet.lowering.registry import register


@register(
    "Dense",
    check=activations.check_activation,
    options="any units, use_bias, activation; inputs of any rank (acts on the last axis)",
)
def lower_dense(op, inputs, builder):
    layer = op.layer
    x = inputs[0]
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float64)  # (n_in, units)

    # One row of weights per unit, laid out like the input row it multiplies.
    weights = builder.param("kernel", kernel.T)
    bias = builder.param("bias", layer.bias.numpy()) if layer.use_bias else None

    exprs = weighted_sums(x.reshape(-1, x.shape[-1]), weights, bias)
    return [with_activation(builder, (*x.shape[:-1], kernel.shape[1]), exprs)]
