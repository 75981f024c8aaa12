"""Convolutions: each output cell one weighted sum over its window, plus the bias.

:func:`grouped_sums` is the core the whole family shares: plain and grouped convolutions call it
directly, depthwise convolutions as ``groups = channels``, transposed convolutions on a
zero-dilated view of their input.
"""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Expr
from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering import activations
from cnn2sheet.lowering.channels import channels_last
from cnn2sheet.lowering.linear import weighted_sums, with_activation
from cnn2sheet.lowering.registry import register
from cnn2sheet.lowering.windows import windows


def check_padding(op, allowed=("valid", "same")) -> list[str]:
    """A problem when the layer's ``padding`` is not one of ``allowed``."""
    padding = op.layer.padding
    if padding in allowed:
        return []
    return [f"padding '{padding}' is not supported ({', '.join(allowed)})"]


def check_conv(op) -> list[str]:
    """Problems with a Conv1D/2D/3D: its activation and padding ('causal' for Conv1D only)."""
    allowed = ("valid", "same", "causal") if op.layer.rank == 1 else ("valid", "same")
    return activations.check_activation(op) + check_padding(op, allowed)


def grouped_sums(
    x: np.ndarray,
    filters: np.ndarray,
    groups: int,
    strides,
    dilation,
    padding: str,
    bias: np.ndarray | None,
) -> tuple[tuple[int, ...], list[Expr]]:
    """The weighted sums of a (grouped) convolution of the channels-last ids ``x``.

    ``filters`` holds weight ids shaped ``(cout, *kernel, cin // groups)``, laid out like the
    window each filter multiplies; output channel ``o`` reads the input channels of group
    ``o // (cout // groups)``. Returns the output's spatial shape and one expression per output
    cell in C order.
    """
    cout, *kernel, cin_g = filters.shape
    rank = len(kernel)
    cout_g = cout // groups

    # One set of windows per group: the group's slice of channels.
    group_windows = [
        windows(x[..., g * cin_g : (g + 1) * cin_g], kernel, strides, dilation, padding)
        for g in range(groups)
    ]
    out_spatial = group_windows[0].shape[:rank]
    flat = [w.reshape(-1, filters[0].size) for w in group_windows]
    weights = filters.reshape(groups, cout_g, -1)
    biases = [None if bias is None else bias[g * cout_g : (g + 1) * cout_g] for g in range(groups)]

    exprs: list[Expr] = []
    for position in range(flat[0].shape[0]):
        for g in range(groups):
            exprs.extend(weighted_sums(flat[g][position : position + 1], weights[g], biases[g]))
    return out_spatial, exprs


def causal_view(x: np.ndarray, kernel: int, dilation: int) -> np.ndarray:
    """``x`` with the zeros causal padding puts before the first step (then pad 'valid')."""
    return np.pad(x, [(dilation * (kernel - 1), 0), (0, 0)], constant_values=ZERO)


@register(
    "Conv1D",
    "Conv2D",
    "Conv3D",
    check=check_conv,
    options="padding valid/same (Conv1D also causal), any kernel size, strides, dilation_rate, "
    "groups, use_bias, activation; channels_last or channels_first",
)
@channels_last
def lower_conv(op, inputs, builder):
    layer = op.layer
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float64)  # (*k, cin/groups, cout)
    x, padding = inputs[0], layer.padding
    if padding == "causal":
        x, padding = causal_view(x, layer.kernel_size[0], layer.dilation_rate[0]), "valid"

    # Weights block: one filter after another, each laid out like its window (*k, cin/groups).
    filters = builder.param("kernel", np.moveaxis(kernel, -1, 0))
    bias = builder.param("bias", layer.bias.numpy()) if layer.use_bias else None

    out_spatial, exprs = grouped_sums(
        x, filters, layer.groups, layer.strides, layer.dilation_rate, padding, bias
    )
    return [with_activation(builder, (*out_spatial, filters.shape[0]), exprs)]
