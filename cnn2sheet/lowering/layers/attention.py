"""MultiHeadAttention, Attention and AdditiveAttention over (T, features) sequences.

MultiHeadAttention becomes, block by block (rows × columns)::

    query  Tq × (head, key_dim)      key  Tk × (head, key_dim)      value  (head, value_dim) × Tk
    scores (head, Tq) × Tk           = q·k / √key_dim
    softmax max, exp, sum helpers, then the attention weights (head, Tq) × Tk
    heads output  Tq × (head, value_dim)  = weights · value
    output  Tq × features                 = heads output · W_o + b_o

Every block is a matrix, so any layout shows it as one grid: the attention weights are each
head's Tq × Tk matrix, stacked downwards — the (heads, Tq, Tk) tensor Keras returns, row by row.
The value projection is stored transposed so each weighted sum over the keys pairs a row of
weights with a row of values: one SUMPRODUCT of two congruent ranges.
"""

from __future__ import annotations

import math

import numpy as np

from cnn2sheet.ir import Binary, Cells, Const, Expr, Func, Ref
from cnn2sheet.lowering import activations
from cnn2sheet.lowering.activations import cell
from cnn2sheet.lowering.attention import (
    attention_weights,
    causal_pattern,
    transposed,
    window_pattern,
)
from cnn2sheet.lowering.calls import argument, listed, tensor_ids
from cnn2sheet.lowering.registry import register
from cnn2sheet.lowering.terms import dot, total, weight_array

# MultiHeadAttention.call(query, value, key, query_mask, value_mask, key_mask, attention_mask,
# return_attention_scores, training, use_causal_mask): the positions of its arguments.
_MHA_MASKS = {"query_mask": 3, "value_mask": 4, "key_mask": 5, "attention_mask": 6}
_MHA_SCORES, _MHA_CAUSAL = 7, 9


def _rank_problems(op) -> list[str]:
    if all(len(t.shape) == 2 for t in op.inputs):
        return []
    shapes = ", ".join(str(t.shape) for t in op.inputs)
    return [f"inputs of shapes {shapes} are not supported: (sequence, features) inputs only"]


def check_mha(op) -> list[str]:
    problems = [
        f"{name} is not supported: a mask computed by the model cannot be expressed in cells "
        "(use_causal_mask=True and sliding_window are supported)"
        for name, position in _MHA_MASKS.items()
        if argument(op, name, position) is not None
    ]
    problems += _rank_problems(op)
    if argument(op, "return_attention_scores", _MHA_SCORES, False):
        queries, keys = op.inputs[0].shape[0], argument(op, "value", 1).shape[1]
        declared = op.outputs[1].shape
        if declared[-1] != keys:
            # Keras's compute_output_spec assumes self-attention for the scores' shape.
            problems.append(
                f"return_attention_scores=True with {queries} queries and {keys} keys is not "
                f"supported: Keras declares the scores' shape as {declared}, not the "
                f"({declared[0]}, {queries}, {keys}) it computes"
            )
    axes = op.layer._attention_axes
    if not problems and axes not in (None, (1,)):
        problems.append(f"attention_axes={axes} is not supported (the sequence axis only)")
    return problems


def _projection(builder, dense, sequence: np.ndarray, role: str, *, transpose: bool = False):
    """A query/key/value/gate projection of ``sequence`` (T, features).

    Returns ids shaped (T, heads, dim) of a T × (heads·dim) block, or with ``transpose`` ids
    shaped (heads, dim, T) of a (heads·dim) × T block: one unit's values over time in a row.
    """
    kernel = weight_array(dense.kernel)  # (features, heads, dim)
    heads, dim = kernel.shape[1:]
    weights = builder.param(f"{role} kernel", kernel.transpose(1, 2, 0))  # (heads, dim, features)
    bias = None if dense.bias is None else builder.param(f"{role} bias", weight_array(dense.bias))
    act = activations.ELEMENTWISE.get(activations.activation_name(dense.activation))

    def unit(t: int, h: int, d: int) -> Expr:
        bias_term = None if bias is None else Ref(int(bias[h, d]))
        expr = total([dot(sequence[t], weights[h, d]), bias_term])
        return act(expr) if act else expr

    steps = sequence.shape[0]
    if transpose:
        exprs = [unit(t, h, d) for h in range(heads) for d in range(dim) for t in range(steps)]
        ids = builder.compute(
            (heads * dim, steps), exprs, role=role,
            title=f"{builder.title}: {role} (rows: head, feature; columns: position)",
        )  # fmt: skip
        return ids.reshape(heads, dim, steps)
    exprs = [unit(t, h, d) for t in range(steps) for h in range(heads) for d in range(dim)]
    ids = builder.compute(
        (steps, heads * dim), exprs, role=role,
        title=f"{builder.title}: {role} (rows: position; columns: head, feature)",
    )  # fmt: skip
    return ids.reshape(steps, heads, dim)


def _mask_pattern(op, queries: int, keys: int, causal: bool, window: int | None):
    allowed = np.ones((queries, keys), dtype=bool)
    if causal:
        allowed &= causal_pattern(queries, keys)
    if window is not None:
        allowed &= window_pattern(queries, keys, window)
    if not allowed.any(axis=1).all():
        raise AssertionError(f"{op.describe()}: a query would attend to no key")
    return allowed


@register(
    "MultiHeadAttention",
    check=check_mha,
    options="self and cross attention (query, value, key), any num_heads, key_dim, value_dim, "
    "output_shape, use_bias, use_gate, use_causal_mask, sliding_window, "
    "return_attention_scores; dropout is inference's identity; (sequence, features) inputs; "
    "no attention_mask or masks from earlier layers",
)
def lower_mha(op, inputs, builder):
    layer = op.layer
    query = tensor_ids(op, inputs, argument(op, "query", 0))
    value = tensor_ids(op, inputs, argument(op, "value", 1))
    key_tensor = argument(op, "key", 2)
    key = value if key_tensor is None else tensor_ids(op, inputs, key_tensor)

    q = _projection(builder, layer.query_dense, query, "query")
    k = _projection(builder, layer.key_dense, key, "key")
    v = _projection(builder, layer.value_dense, value, "value", transpose=True)
    gate = None
    if getattr(layer, "_use_gate", False):
        gate = _projection(builder, layer._gate_dense, query, "gate")
    (tq, heads, _), tk, value_dim = q.shape, k.shape[0], v.shape[1]

    # Keras scales the projected query by 1/√key_dim; dividing each score is the same number.
    root = Const(math.sqrt(float(layer.key_dim)))
    scores = builder.compute(
        (heads * tq, tk),
        [
            Binary("/", total([dot(q[t, h], k[s, h])]), root)
            for h in range(heads)
            for t in range(tq)
            for s in range(tk)
        ],
        role="scores",
        title=f"{builder.title}: scores q·k/√{layer.key_dim} (rows: head, query; columns: key)",
    ).reshape(heads, tq, tk)
    causal = bool(argument(op, "use_causal_mask", _MHA_CAUSAL, False))
    allowed = _mask_pattern(op, tq, tk, causal, getattr(layer, "_sliding_window", None))
    weights = attention_weights(
        builder,
        scores,
        allowed,
        f"{builder.title}: attention weights (rows: head, query; columns: key)",
    )

    def head_unit(t: int, h: int, d: int) -> Expr:
        expr = total([dot(weights[h, t], v[h, d])])
        return expr if gate is None else Binary("*", expr, Ref(int(gate[t, h, d])))

    context = builder.compute(
        (tq, heads * value_dim),
        [head_unit(t, h, d) for t in range(tq) for h in range(heads) for d in range(value_dim)],
        role="heads output",
        title=f"{builder.title}: heads output (rows: query; columns: head, feature)",
    )
    output = _output_projection(builder, layer.output_dense, context)

    if argument(op, "return_attention_scores", _MHA_SCORES, False):
        return [output, weights]
    return [output]


def _output_projection(builder, dense, context: np.ndarray) -> np.ndarray:
    """Tq × (heads·value_dim) → (Tq, *output_shape): one weighted sum over every head."""
    kernel = weight_array(dense.kernel)  # (heads, value_dim, *output_shape)
    out_shape = kernel.shape[2:]
    weights = builder.param("output kernel", kernel.reshape(-1, math.prod(out_shape)).T)
    bias = None
    if dense.bias is not None:
        bias = builder.param("output bias", weight_array(dense.bias).reshape(-1))
    steps = context.shape[0]
    exprs = [
        total([dot(context[t], weights[e]), None if bias is None else Ref(int(bias[e]))])
        for t in range(steps)
        for e in range(weights.shape[0])
    ]
    return builder.compute((steps, *out_shape), exprs)


# Attention.call(inputs, mask, training, return_attention_scores, use_causal_mask)
_ATTENTION_SCORES, _ATTENTION_CAUSAL = 3, 4


def check_attention(op) -> list[str]:
    problems = []
    if any(m is not None for m in listed(argument(op, "mask", 1))):
        problems.append("mask is not supported: masking cannot be expressed in cells")
    return problems + _rank_problems(op)


@register(
    "Attention",
    check=check_attention,
    options="[query, value] or [query, value, key]; score_mode dot/concat, use_scale, "
    "use_causal_mask, return_attention_scores; dropout is inference's identity; no mask",
)
@register(
    "AdditiveAttention",
    check=check_attention,
    options="[query, value] or [query, value, key]; use_scale, use_causal_mask, "
    "return_attention_scores; dropout is inference's identity; no mask",
)
def lower_attention(op, inputs, builder):
    tensors = [tensor_ids(op, inputs, t) for t in argument(op, "inputs", 0)]
    query, value = tensors[:2]
    key = tensors[2] if len(tensors) > 2 else value

    scores = _scores(op.layer, builder, query, key)
    causal = bool(argument(op, "use_causal_mask", _ATTENTION_CAUSAL, False))
    allowed = causal_pattern(*scores.shape) if causal else None
    weights = attention_weights(
        builder, scores, allowed, f"{builder.title}: attention weights (rows: query; columns: key)"
    )

    value_t = transposed(builder, value, f"{builder.title}: value transposed (rows: feature)")
    exprs = [
        total([dot(weights[t], value_t[d])])
        for t in range(query.shape[0])
        for d in range(value_t.shape[0])
    ]
    output = builder.compute((query.shape[0], value.shape[1]), exprs)

    if argument(op, "return_attention_scores", _ATTENTION_SCORES, False):
        return [output, weights]
    return [output]


def _scores(layer, builder, query: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Raw scores (Tq, Tk): a dot product, or a sum of tanh terms (concat, additive)."""
    tq, tk = query.shape[0], key.shape[0]
    additive = type(layer).__name__ == "AdditiveAttention"
    scale = None
    if layer.use_scale:
        scale = builder.param("scale", weight_array(layer.scale).reshape(-1))

    if not additive and layer.score_mode == "dot":
        exprs = []
        for t in range(tq):
            for s in range(tk):
                expr = total([dot(query[t], key[s])])
                exprs.append(expr if scale is None else Binary("*", expr, Ref(int(scale[0]))))
        return builder.compute((tq, tk), exprs, role="scores", title=f"{builder.title}: scores q·k")

    # Σ_d tanh(q_d + k_d): each tanh gets a helper cell, an array expression is not portable.
    inner_scale = None if additive or scale is None else Ref(int(scale[0]))
    dim = query.shape[1]

    def tanh(t: int, s: int, d: int) -> Expr:
        pair: Expr = Binary("+", cell(query[t, d]), cell(key[s, d]))
        if inner_scale is not None:
            pair = Binary("*", inner_scale, pair)
        return Func("TANH", (pair,))

    terms = builder.compute(
        (tq * tk, dim),
        [tanh(t, s, d) for t in range(tq) for s in range(tk) for d in range(dim)],
        role="tanh terms",
        title=f"{builder.title}: tanh terms (rows: query, key; columns: feature)",
    ).reshape(tq, tk, dim)
    if additive:
        exprs = [
            Func("SUM", (Cells(terms[t, s]),))
            if scale is None
            else total([dot(terms[t, s], scale)])
            for t in range(tq)
            for s in range(tk)
        ]
    else:
        weight = builder.param(
            "concat score weight", weight_array(layer.concat_score_weight).reshape(-1)
        )
        exprs = [
            Binary("*", Ref(int(weight[0])), Func("SUM", (Cells(terms[t, s]),)))
            for t in range(tq)
            for s in range(tk)
        ]
    return builder.compute((tq, tk), exprs, role="scores", title=f"{builder.title}: scores")
