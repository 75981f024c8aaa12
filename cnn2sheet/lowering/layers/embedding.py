"""Embedding: a look-up in the weight table with INDEX; Masking, which cells cannot express.

The table is a param block with one row per token and one column per feature, so the output
cell for token cell ``A3`` and feature ``d`` reads ``=INDEX(<column d of the table>,A3+1)``.
A token past the table's end shows #REF! in that cell, a token below -1 #REF! or #VALUE!,
never a wrong number. Token -1 is the one gap: INDEX reads row 0 as "the whole column", which
Gnumeric shows as #REF! but ironcalc and `formulas` resolve to the formula's own row (Keras's
TensorFlow backend wraps negative tokens to the end of the table instead).
"""

from __future__ import annotations

from cnn2sheet.ir import Binary, Cells, Const, Func
from cnn2sheet.lowering.activations import cell
from cnn2sheet.lowering.registry import register
from cnn2sheet.lowering.terms import weight_array


def check_embedding(op) -> list[str]:
    layer = op.layer
    problems = []
    if layer.mask_zero:
        problems.append(
            "mask_zero=True is not supported: a mask changes what later layers compute and "
            "cannot be expressed in cells (use mask_zero=False)"
        )
    mode = getattr(layer, "quantization_mode", None)
    if mode:
        problems.append(f"quantization_mode '{mode}' is not supported (float weights only)")
    return problems


@register(
    "Embedding",
    check=check_embedding,
    options="any input_dim/output_dim; integer or float token inputs (truncated like Keras); "
    "INDEX into the weight table, a token outside it shows #REF!; mask_zero=False",
)
def lower_embedding(op, inputs, builder):
    tokens = inputs[0]
    table = builder.param("embeddings", weight_array(op.layer.embeddings))  # (vocab, dim)
    dim = table.shape[1]

    # INDEX counts rows from 1; token 0 is the table's first row.
    exprs = [
        Func("INDEX", (Cells(table[:, d]), Binary("+", cell(token), Const(1.0))))
        for token in tokens.ravel()
        for d in range(dim)
    ]
    return [builder.compute((*tokens.shape, dim), exprs)]


def check_masking(op) -> list[str]:
    return [
        f"mask_value={op.layer.mask_value!r}: masking is not supported, a mask changes what "
        "later layers compute and cannot be expressed in cells (remove the Masking layer)"
    ]


@register(
    "Masking",
    check=check_masking,
    options="refused with a clear error: a mask changes what later layers compute and cannot be "
    "expressed in cells (remove it; Embedding needs mask_zero=False too)",
)
def lower_masking(op, inputs, builder):
    raise AssertionError(f"{op.describe()}: the check refuses Masking before lowering")
