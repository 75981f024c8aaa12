"""Plain-words notes: what the formula of each block computes, for a reader of the sheet."""

from __future__ import annotations

from cnn2sheet.ir import Block, Program

_ACTIVATIONS = {
    "relu": "then ReLU (negative values become 0)",
    "sigmoid": "then the sigmoid 1/(1+e^-x), squeezing it between 0 and 1",
    "tanh": "then tanh, squeezing it between -1 and 1",
    "softmax": "then softmax (see the helper cells)",
}

_HELPERS = {
    "softmax max": "The largest value of each group. Softmax subtracts it before EXP, so EXP "
    "never overflows; the probabilities do not change.",
    "softmax exp": "EXP of each value minus the group's largest value.",
    "softmax sum": "The sum of the EXP cells: dividing by it makes the probabilities add up to 1.",
    "linear": "The weighted sum before the activation: the inputs times this unit's weights, "
    "summed, plus the bias.",
}


_PREDICTION = {
    "scores": "The model's output again, with the largest value highlighted.",
    "prediction": "The predicted class: the index (from 0) of the largest score, the first "
    "one if several tie. Defined name: prediction.",
    "label": "The label of the predicted class.",
}


def describe(block: Block, program: Program) -> str:
    """A sentence or two about ``block``; empty when there is nothing useful to say."""
    if block.role in _PREDICTION:
        return _PREDICTION[block.role]
    if block.kind == "input":
        return (
            "The input: type new values here (or paste an image) and every cell below "
            "recalculates, down to the prediction."
        )
    if block.kind == "param":
        return _describe_weights(block)
    if block.role in _HELPERS:
        return _HELPERS[block.role]
    if block.role == "output":
        return _describe_output(block, program)
    return ""


def _describe_weights(block: Block) -> str:
    if block.role == "kernel" and len(block.shape) == 4:
        out, kh, kw, cin = block.shape
        grids = "one grid per input channel" if cin > 1 else "one grid"
        return (
            f"The {out} filters, one per row of grids: each {kh}×{kw} ({grids}). Edit a "
            "weight and watch the feature map and the prediction change."
        )
    if block.role == "kernel":
        return (
            f"The weights: one group per output unit ({block.shape[0]} units), shaped like "
            "the input each unit reads. Every value is editable."
        )
    if block.role == "bias":
        return "The biases: one per output unit, added after the weighted sum."
    return f"The layer's {block.role} values (editable)."


def _describe_output(block: Block, program: Program) -> str:
    activation = _activation(block)
    if block.cls == "Conv2D":
        kernel = program.blocks.get(f"{block.layers[0]}/kernel")
        window = "window"
        if kernel is not None and len(kernel.shape) == 4:
            _, kh, kw, cin = kernel.shape
            window = f"{kh}×{kw} window of the previous layer across its {cin} channel(s)"
        return (
            f"Each cell: the {window}, times one filter, summed, plus the bias"
            f"{', ' + activation if activation else ''}. One grid per filter."
        )
    if block.cls == "Dense":
        return (
            "Each cell: every input times this unit's weights, summed, plus the bias"
            f"{', ' + activation if activation else ''}."
        )
    if block.cls == "MaxPooling2D":
        return "Each cell: the largest value in its window of the previous layer, per channel."
    if block.cls == "AveragePooling2D":
        return "Each cell: the average of its window of the previous layer, per channel."
    if block.cls == "Activation" and activation:
        return f"Each cell: the cell it reads, {activation}."
    return f"The output of {block.layer} ({block.cls}); select a cell to read its formula."


def _activation(block: Block) -> str:
    name = block.title.rsplit(": ", 1)[-1] if ": " in block.title else ""
    return _ACTIVATIONS.get(name, "")
