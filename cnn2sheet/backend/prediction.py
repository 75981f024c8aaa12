"""The answer: which class the model predicts, in a cell of its own named ``prediction``.

For a model whose first output is a vector of class scores, :func:`add_prediction` adds, after
the passes, ordinary blocks of the layer :data:`PREDICTION_LAYER`::

    labels        0      1      2   …          ← text cells (from --labels, or the indices)
    score         =B40   =C40   =D40 …         ← the output, repeated; the largest highlighted
    best          =MAX(…)
    is best       =IF(B52=$B$53,0,10) …        ← the index where the score is the largest
    prediction    =MIN(…)                      ← the first such index: the defined name
    label         =INDEX(labels,prediction+1)  ← its label, as text

Only portable functions: no MATCH, no array expressions.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from cnn2sheet.errors import OptionError
from cnn2sheet.formula import ast
from cnn2sheet.formula.printer import cell_address
from cnn2sheet.ir import Binary, Cells, Const, Func, Program, Ref

log = logging.getLogger(__name__)

# Keras forbids "/" in layer names, so no layer of a model can share this one.
PREDICTION_LAYER = "cnn2sheet/prediction"
CLASS = "Prediction"
NAME = "prediction"
LABELS, SCORES, LABEL = "labels", "scores", "label"


def read_labels(path: str | os.PathLike) -> list[str]:
    """Class labels from a text file, one per line (blank lines at the end ignored)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(f"cannot read labels file '{path}': {exc}") from exc
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.strip() for line in lines]


def add_prediction(program: Program, labels: list[str] | None = None) -> bool:
    """Add the answer blocks for the first output if it is a vector of class scores."""
    port = program.outputs[0] if program.outputs else None
    if port is None or len(port.shape) != 1 or port.shape[0] < 2:
        if labels:
            raise OptionError(
                "labels were given, but the model's first output is not a vector of class scores"
            )
        return False
    count = port.shape[0]
    if labels is not None and len(labels) != count:
        raise OptionError(
            f"{len(labels)} labels were given for {count} classes (the model's "
            f"output '{port.layer}' has {count} values)"
        )
    texts = np.array(labels if labels is not None else [str(k) for k in range(count)], dtype=object)
    scores = program.blocks[port.block].ids.ravel()

    names = _block(program, LABELS, "class", "text", (count,), values=texts)
    shown = _block(
        program, SCORES, "score", "compute", (count,), exprs=[Ref(int(i)) for i in scores]
    )
    best = _block(
        program, "best", "largest score", "compute", (1,), exprs=[Func("MAX", (Cells(shown),))]
    )
    index = _block(
        program,
        "is best",
        "index if largest",
        "compute",
        (count,),
        exprs=[
            Func(
                "IF",
                (Binary("=", Ref(int(s)), Ref(int(best[0]))), Const(float(k)), Const(float(count))),
            )
            for k, s in enumerate(shown)
        ],
    )
    answer = _block(
        program, NAME, "predicted class", "compute", (1,), exprs=[Func("MIN", (Cells(index),))]
    )
    _block(
        program,
        LABEL,
        "predicted label",
        "compute",
        (1,),
        exprs=[Func("INDEX", (Cells(names), Binary("+", Ref(int(answer[0])), Const(1.0))))],
    )
    program.names[NAME] = f"{PREDICTION_LAYER}/{NAME}"
    return True


def is_label(block) -> bool:
    """Whether ``block`` is the predicted label, a formula whose value is text."""
    return block.layer == PREDICTION_LAYER and block.role == LABEL


def label_shown(program: Program, values: np.ndarray) -> str:
    """The cached text of the predicted-label cell: the label at the predicted index."""
    answer = program.blocks[f"{PREDICTION_LAYER}/{NAME}"].start
    texts = program.blocks[f"{PREDICTION_LAYER}/{LABELS}"].values.ravel()
    index = values[answer]
    return str(texts[int(index)]) if np.isfinite(index) and 0 <= index < texts.size else "#N/A"


def highlight_best(book, sheet, row: int, first_col: int, last_col: int) -> None:
    """Bold and shade the largest score, so the predicted class stands out."""
    look = book.add_format({"bold": True, "bg_color": "#FFEB84"})
    start = ast.Cell(row, first_col, row_abs=True, col_abs=True)
    end = ast.Cell(row, last_col, row_abs=True, col_abs=True)
    first = cell_address(ast.Cell(row, first_col, row_abs=True))
    rule = f"={first}=MAX({cell_address(start)}:{cell_address(end)})"
    sheet.conditional_format(
        row, first_col, row, last_col, {"type": "formula", "criteria": rule, "format": look}
    )


def _block(
    program: Program, role: str, title: str, kind: str, shape, exprs=None, values=None
) -> np.ndarray:
    name = f"{PREDICTION_LAYER}/{role}"
    block = program.add(
        name,
        PREDICTION_LAYER,
        kind,
        shape,
        role=role,
        exprs=exprs,
        values=values,
        title=title,
        cls=CLASS,
    )
    return block.ids.ravel()
