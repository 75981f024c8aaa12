"""Transposed convolutions, as plain convolutions over a zero-dilated, padded view of the input.

Keras's TensorFlow backend computes ``ConvNDTranspose`` as the gradient of a forward convolution
that maps an output-sized tensor (``N`` along an axis) to the input (``M``) with the layer's
kernel ``k``, stride ``s`` and padding. Its adjoint, written as a convolution: spread the input
out with ``s - 1`` zeros between neighbours, pad it with ``k - 1 - p`` zeros in front (``p`` the
forward convolution's leading padding) and enough behind to give ``N`` windows, and slide the
kernel flipped along every spatial axis, stride 1::

    x = [a b c], k = 3, s = 2, padding "same", N = 6 (p = 0):
    view  0 0 a 0 b 0 c 0      (2 zeros in front, 1 behind)
    out[j] = Σ_i view[j + i] · w[2 - i]

The zeros are :data:`~cnn2sheet.ir.program.ZERO` ids, so no cell holds them.
"""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir.program import ZERO
from cnn2sheet.lowering import activations
from cnn2sheet.lowering.channels import channels_last, last_shape
from cnn2sheet.lowering.layers.conv import check_padding, grouped_sums
from cnn2sheet.lowering.linear import with_activation
from cnn2sheet.lowering.registry import register
from cnn2sheet.lowering.windows import output_size, pad_before


def check_conv_transpose(op) -> list[str]:
    """Problems with a transposed convolution, including those TensorFlow rejects at run time."""
    layer = op.layer
    problems = activations.check_activation(op) + check_padding(op)
    if any(d != 1 for d in layer.dilation_rate):
        problems.append(
            f"dilation_rate={tuple(layer.dilation_rate)} is not supported: Keras's TensorFlow "
            "backend cannot run a dilated transposed convolution on CPU, so the workbook could "
            "not be verified (dilation_rate=1 only)"
        )
    if problems:
        return problems
    sizes_in = last_shape(op, op.inputs[0].shape)[:-1]
    sizes_out = last_shape(op, op.outputs[0].shape)[:-1]
    for axis, (m, n, k, s) in enumerate(
        zip(sizes_in, sizes_out, layer.kernel_size, layer.strides, strict=True)
    ):
        if output_size(n, k, s, 1, layer.padding) != m:
            problems.append(
                f"output_padding={layer.output_padding!r} with padding '{layer.padding}', "
                f"kernel_size {k} and strides {s} gives {n} outputs along spatial axis {axis}, "
                f"which Keras's TensorFlow backend cannot map back to the {m} inputs (it fails "
                "at run time); choose an output_padding it accepts"
            )
    return problems


def transposed_view(x: np.ndarray, kernel, strides, padding: str, out_sizes) -> np.ndarray:
    """The zero-dilated, padded view of ``x`` whose stride-1 'valid' windows give the output."""
    rank = x.ndim - 1
    dilated_shape = [(m - 1) * s + 1 for m, s in zip(x.shape[:rank], strides, strict=True)]
    view = np.full((*dilated_shape, x.shape[-1]), ZERO, dtype=np.int64)
    view[tuple(slice(None, None, s) for s in strides)] = x

    pads = []
    for size, k, s, n in zip(dilated_shape, kernel, strides, out_sizes, strict=True):
        front = k - 1 - pad_before(n, k, s, 1, padding)
        pads.append((front, n + k - 1 - front - size))
    if min(min(p) for p in pads) < 0:
        raise AssertionError(f"negative padding {pads} for a transposed convolution")
    return np.pad(view, [*pads, (0, 0)], constant_values=ZERO)


@register(
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    check=check_conv_transpose,
    options="padding valid/same, any kernel size, strides, output_padding (as TensorFlow accepts "
    "it), use_bias, activation; channels_last or channels_first; dilation_rate=1",
)
@channels_last
def lower_conv_transpose(op, inputs, builder):
    layer = op.layer
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float64)  # (*k, filters, cin)
    rank = kernel.ndim - 2
    out_sizes = last_shape(op, op.outputs[0].shape)[:-1]

    # Filters flipped along every spatial axis, each laid out like its window (*k, cin).
    flipped = np.flip(kernel, axis=tuple(range(rank)))
    filters = builder.param("kernel (flipped)", np.moveaxis(flipped, -2, 0))
    bias = builder.param("bias", layer.bias.numpy()) if layer.use_bias else None

    view = transposed_view(inputs[0], layer.kernel_size, layer.strides, layer.padding, out_sizes)
    out_spatial, exprs = grouped_sums(view, filters, 1, (1,) * rank, (1,) * rank, "valid", bias)
    return [with_activation(builder, (*out_spatial, filters.shape[0]), exprs)]
