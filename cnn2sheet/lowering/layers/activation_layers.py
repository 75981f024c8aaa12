"""Activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax) and activation ops on tensors.

A functional model may also call an activation on a tensor: ``keras.ops.gelu(x,
approximate=True)`` or ``keras.activations.relu(x, max_value=6)`` adds an operation (``Gelu``,
``ReLU``...) to the graph whose attributes are the function's options. Those are lowered here
too, with the same formulas as the activations given by name.
"""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Neg, Ref
from cnn2sheet.lowering import activations
from cnn2sheet.lowering.axes import axis_problem, keras_axes
from cnn2sheet.lowering.elementwise import call, cell, mul, num, sub
from cnn2sheet.lowering.registry import register
from cnn2sheet.lowering.terms import weight_array


def _options(op, names: tuple[str, ...]) -> dict:
    return {n: getattr(op.layer, n) for n in names}


def _single_input(op) -> list[str]:
    # Softmax(x, mask) adds the mask to the call's tensors; the workbook has no masks.
    if len(op.inputs) > 1:
        return [f"takes {len(op.inputs)} tensors; a mask or extra input is not supported"]
    return []


@register(
    "ReLU",
    options="max_value, negative_slope, threshold (also keras.activations.relu on a tensor)",
)
def lower_relu(op, inputs, builder):
    options = _options(op, ("negative_slope", "max_value", "threshold"))
    return [activations.apply(builder, inputs[0], "relu", **options)]


@register("LeakyReLU", options="negative_slope")
def lower_leaky_relu(op, inputs, builder):
    slope = op.layer.negative_slope
    return [activations.apply(builder, inputs[0], "leaky_relu", negative_slope=slope)]


@register("ELU", options="alpha")
def lower_elu(op, inputs, builder):
    return [activations.apply(builder, inputs[0], "elu", alpha=op.layer.alpha)]


@register(
    "PReLU",
    options="shared_axes; alpha as editable weight cells (one per unshared position)",
)
def lower_prelu(op, inputs, builder):
    x = inputs[0]
    alpha_values = weight_array(op.layer.alpha)  # the input's shape, 1 on shared axes
    alpha = builder.param("alpha", alpha_values)

    # Each cell pairs with the alpha of its position, shared axes pointing at index 0.
    paired = zip(x.ravel(), np.broadcast_to(alpha, x.shape).ravel(), strict=True)
    # Keras's relu(x) − alpha·relu(−x), term for term.
    exprs = (
        sub(call("MAX", num(0), cell(i)), mul(Ref(int(a)), call("MAX", num(0), Neg(cell(i)))))
        for i, a in paired
    )
    return [builder.compute(x.shape, exprs)]


def _check_axis(op) -> list[str]:
    rank = len(op.inputs[0].shape)
    return _single_input(op) + axis_problem(op.layer.axis, rank)


@register(
    "Softmax",
    check=_check_axis,
    options="axis: one axis, a list of axes, negative axes (also keras.ops.softmax)",
)
def lower_softmax(op, inputs, builder):
    axes = keras_axes(op.layer.axis, inputs[0].ndim)
    return [activations.apply(builder, inputs[0], "softmax", axis=axes)]


# keras.ops activations: operation class → (activation name, the options it carries).
_ELEMENTWISE_OPS = {
    "Relu": ("relu", ()),
    "Relu6": ("relu6", ()),
    "Sigmoid": ("sigmoid", ()),
    "Softplus": ("softplus", ()),
    "Softsign": ("softsign", ()),
    "SoftShrink": ("soft_shrink", ("threshold",)),
    "SparsePlus": ("sparse_plus", ()),
    "SparseSigmoid": ("sparse_sigmoid", ()),
    "Silu": ("silu", ()),
    "Squareplus": ("squareplus", ("b",)),
    "LogSigmoid": ("log_sigmoid", ()),
    "LeakyRelu": ("leaky_relu", ("negative_slope",)),
    "HardSigmoid": ("hard_sigmoid", ()),
    "HardSilu": ("hard_silu", ()),
    "HardTanh": ("hard_tanh", ()),
    "HardShrink": ("hard_shrink", ("threshold",)),
    "TanhShrink": ("tanh_shrink", ()),
    "Elu": ("elu", ("alpha",)),
    "Selu": ("selu", ()),
    "Celu": ("celu", ("alpha",)),
    "Gelu": ("gelu", ("approximate",)),
    "Threshold": ("threshold", ("threshold", "default_value")),
}
_AXIS_OPS = {"LogSoftmax": "log_softmax", "Sparsemax": "sparsemax", "Glu": "glu"}


def _register_elementwise_op(cls: str, name: str, option_names: tuple[str, ...]) -> None:
    described = f" ({', '.join(option_names)})" if option_names else ""

    @register(cls, options=f"keras.ops.{name}{described} called on a tensor")
    def lower_op(op, inputs, builder):
        options = _options(op, option_names)
        return [activations.apply(builder, inputs[0], name, **options)]


def _register_axis_op(cls: str, name: str) -> None:
    @register(cls, check=_check_axis, options=f"keras.ops.{name} (axis) called on a tensor")
    def lower_op(op, inputs, builder):
        axes = keras_axes(op.layer.axis, inputs[0].ndim)
        return [activations.apply(builder, inputs[0], name, axis=axes)]


for _cls, (_name, _option_names) in _ELEMENTWISE_OPS.items():
    _register_elementwise_op(_cls, _name, _option_names)
for _cls, _name in _AXIS_OPS.items():
    _register_axis_op(_cls, _name)
