"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
RMSNormalization and UnitNormalization, with their statistics as weight or helper cells.

BatchNormalization keeps Keras's four vectors (gamma, beta, moving mean and variance) as weight
cells and each output cell reads ``(x − mean)/SQRT(var + ε)·γ + β``, so a user can edit the
statistics and follow the arithmetic. The fold_batchnorm pass later folds it into a Dense or
convolution right before it when nothing else reads that layer's output.

The other layers compute their statistics per sample, as helper cells: a mean, the deviations
from it, and the variance as SUMPRODUCT of the deviations with themselves.
"""

from __future__ import annotations

import numpy as np

from cnn2sheet.ir import Expr, Ref
from cnn2sheet.lowering.axes import Groups, axis_problem, group_along, group_by, keras_axes
from cnn2sheet.lowering.elementwise import call, cell, div, num, sub
from cnn2sheet.lowering.registry import register
from cnn2sheet.lowering.statistics import moments, spread, standardize, sum_of_squares
from cnn2sheet.lowering.terms import weight_array


def _rank(op) -> int:
    return len(op.inputs[0].shape)


def _optional(ids: np.ndarray | None, k: int) -> Expr | None:
    return None if ids is None else Ref(int(ids.flat[k]))


def _weights(builder, layer, names, shape, axes):
    """Weight blocks for the layer attributes ``names`` (None when absent), spread over x."""
    spread_ids = []
    for name in names:
        variable = getattr(layer, name, None)
        if variable is None:
            spread_ids.append(None)
            continue
        ids = builder.param(name, weight_array(variable))
        spread_ids.append(spread(ids, shape, axes))
    return spread_ids


def check_axis(op) -> list[str]:
    """Problems with the layer's ``axis``: none when every axis is a sample axis."""
    return axis_problem(op.layer.axis, _rank(op))


def check_batchnorm(op) -> list[str]:
    """Problems with a BatchNormalization: its axis, and a call in training mode."""
    problems = axis_problem(op.layer.axis, _rank(op))
    if op.kwargs.get("training") is True:
        problems.append(
            "called with training=True: it would normalize with the statistics of the batch, "
            "which a one-sample workbook does not have"
        )
    return problems


@register(
    "BatchNormalization",
    check=check_batchnorm,
    options="inference form; any axis, center, scale, epsilon; gamma, beta, moving mean and "
    "variance as editable weight cells (folded into a Dense/Conv before it when exact)",
)
def lower_batchnorm(op, inputs, builder):
    layer = op.layer
    x = inputs[0]
    axes = keras_axes(layer.axis, x.ndim)
    mean, variance, gamma, beta = _weights(
        builder, layer, ("moving_mean", "moving_variance", "gamma", "beta"), x.shape, axes
    )

    exprs = (
        standardize(
            sub(cell(i), Ref(int(mean.flat[k]))),
            Ref(int(variance.flat[k])),
            layer.epsilon,
            _optional(gamma, k),
            _optional(beta, k),
        )
        for k, i in enumerate(x.ravel())
    )
    return [builder.compute(x.shape, exprs)]


def _normalized(builder, x, groups: Groups, epsilon, gamma, beta, *, center=True):
    """Output cells in x's order: each cell's deviation (or itself) standardized in its group."""
    stats = moments(builder, groups)
    exprs = []
    for k, i in enumerate(x.ravel()):
        g, s = int(groups.group[k]), int(groups.slot[k])
        centered = Ref(int(stats.deviation[g, s])) if center else cell(i)
        variance = Ref(int(stats.variance[g]))
        exprs.append(
            standardize(centered, variance, epsilon, _optional(gamma, k), _optional(beta, k))
        )
    return builder.compute(x.shape, exprs)


@register(
    "LayerNormalization",
    check=check_axis,
    options="any axis or axes, center, scale, epsilon (rms_scaling too); mean, deviation and "
    "variance as helper cells",
)
def lower_layer_norm(op, inputs, builder):
    layer = op.layer
    x = inputs[0]
    axes = keras_axes(layer.axis, x.ndim)
    gamma, beta = _weights(builder, layer, ("gamma", "beta"), x.shape, axes)

    # rms_scaling (deprecated in Keras) divides x itself, not its deviation, by the std.
    center = not getattr(layer, "rms_scaling", False)
    return [
        _normalized(builder, x, group_along(x, axes), layer.epsilon, gamma, beta, center=center)
    ]


@register(
    "GroupNormalization",
    check=check_axis,
    options="groups (-1: one per channel), any channel axis, center, scale, epsilon",
)
def lower_group_norm(op, inputs, builder):
    layer = op.layer
    x = inputs[0]
    (axis,) = keras_axes(layer.axis, x.ndim)
    channels = x.shape[axis]
    count = channels if layer.groups == -1 else layer.groups
    gamma, beta = _weights(builder, layer, ("gamma", "beta"), x.shape, (axis,))

    def arrange(a: np.ndarray) -> np.ndarray:
        # Channels last, split into (groups, channels per group), groups first.
        split = np.moveaxis(a, axis, -1).reshape(*np.delete(a.shape, axis), count, -1)
        return np.moveaxis(split, -2, 0).reshape(count, -1)

    return [_normalized(builder, x, group_by(x, arrange), layer.epsilon, gamma, beta)]


@register("RMSNormalization", check=check_axis, options="any axis or axes, epsilon")
def lower_rms_norm(op, inputs, builder):
    layer = op.layer
    x = inputs[0]
    axes = keras_axes(layer.axis, x.ndim)
    (scale,) = _weights(builder, layer, ("scale",), x.shape, axes)
    groups = group_along(x, axes)

    mean_square = builder.compute(
        (len(groups.cells),),
        (div(sum_of_squares(g), num(groups.size)) for g in groups.cells),
        role="mean square",
    )
    exprs = (
        standardize(
            cell(i),
            Ref(int(mean_square[groups.group[k]])),
            layer.epsilon,
            Ref(int(scale.flat[k])),
            None,
        )
        for k, i in enumerate(x.ravel())
    )
    return [builder.compute(x.shape, exprs)]


# Keras's ops.normalize caps 1/‖x‖ at 1/ε with ε = 1e-12, so a zero vector stays zero.
_UNIT_EPSILON = 1e-12


@register("UnitNormalization", check=check_axis, options="any axis or axes")
def lower_unit_norm(op, inputs, builder):
    x = inputs[0]
    groups = group_along(x, keras_axes(op.layer.axis, x.ndim))

    norms = builder.compute(
        (len(groups.cells),),
        (call("SQRT", sum_of_squares(g)) for g in groups.cells),
        role="norm",
    )
    exprs = (
        div(cell(i), call("MAX", Ref(int(norms[groups.group[k]])), num(_UNIT_EPSILON)))
        for k, i in enumerate(x.ravel())
    )
    return [builder.compute(x.shape, exprs)]
