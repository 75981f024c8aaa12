"""Depthwise and separable convolutions: grouped convolutions with one group per channel."""

from __future__ import annotations

import numpy as np

from cnn2sheet.lowering import activations
from cnn2sheet.lowering.channels import channels_last
from cnn2sheet.lowering.layers.conv import check_padding, grouped_sums
from cnn2sheet.lowering.linear import weighted_sums, with_activation
from cnn2sheet.lowering.registry import register


def check_depthwise(op) -> list[str]:
    """Problems with a depthwise or separable convolution: its activation and padding."""
    return activations.check_activation(op) + check_padding(op)


def depthwise_filters(kernel: np.ndarray) -> np.ndarray:
    """Keras's depthwise kernel ``(*k, cin, multiplier)`` as grouped filters ``(cout, *k, 1)``.

    Output channel ``c * multiplier + m`` filters input channel ``c`` with ``kernel[..., c, m]``,
    the order TensorFlow's depthwise convolution gives its outputs.
    """
    *k, cin, multiplier = kernel.shape
    return np.moveaxis(kernel.reshape(*k, cin * multiplier), -1, 0)[..., None]


@register(
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    check=check_depthwise,
    options="depth_multiplier, padding valid/same, any kernel size, strides, dilation_rate, "
    "use_bias, activation; channels_last or channels_first",
)
@channels_last
def lower_depthwise(op, inputs, builder):
    layer = op.layer
    x = inputs[0]
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float64)  # (*k, cin, multiplier)

    filters = builder.param("kernel", depthwise_filters(kernel))
    bias = builder.param("bias", layer.bias.numpy()) if layer.use_bias else None

    out_spatial, exprs = grouped_sums(
        x, filters, x.shape[-1], layer.strides, layer.dilation_rate, layer.padding, bias
    )
    return [with_activation(builder, (*out_spatial, filters.shape[0]), exprs)]


@register(
    "SeparableConv1D",
    "SeparableConv2D",
    check=check_depthwise,
    options="depth_multiplier, padding valid/same, any kernel size, strides, dilation_rate, "
    "use_bias, activation; channels_last or channels_first; the depthwise stage gets cells "
    "of its own",
)
@channels_last
def lower_separable(op, inputs, builder):
    layer = op.layer
    x = inputs[0]
    depthwise = np.asarray(layer.depthwise_kernel.numpy(), dtype=np.float64)
    pointwise = np.asarray(layer.pointwise_kernel.numpy(), dtype=np.float64)  # (1.., cin*m, f)

    # Stage 1: the depthwise convolution, without bias (Keras adds it after the pointwise).
    filters = builder.param("depthwise kernel", depthwise_filters(depthwise))
    out_spatial, exprs = grouped_sums(
        x, filters, x.shape[-1], layer.strides, layer.dilation_rate, layer.padding, None
    )
    mid = builder.compute((*out_spatial, filters.shape[0]), exprs, role="depthwise")

    # Stage 2: a 1×1 convolution mixes the channels of each position.
    weights = builder.param("pointwise kernel", pointwise.reshape(pointwise.shape[-2:]).T)
    bias = builder.param("bias", layer.bias.numpy()) if layer.use_bias else None
    exprs = weighted_sums(mid.reshape(-1, mid.shape[-1]), weights, bias)
    return [with_activation(builder, (*out_spatial, weights.shape[0]), exprs)]
