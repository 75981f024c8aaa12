"""Pre-flight budget: what a workbook will need, estimated from the graph before lowering.

The estimate is a lower bound — it counts every weight, every input cell and one cell per output
value of each layer that makes new cells — so a model it refuses can never fit, and it runs in
seconds even for models with tens of millions of weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnn2sheet.errors import TargetLimitError
from cnn2sheet.frontend.graph import Graph
from cnn2sheet.lowering.registry import find
from cnn2sheet.targets import Target


@dataclass(frozen=True)
class LayerBudget:
    """One layer application's share of the workbook."""

    name: str
    cls: str
    shape: tuple[int, ...]
    params: int
    cells: int


@dataclass(frozen=True)
class Budget:
    """The estimate for a whole model against one target."""

    target: Target
    layers: list[LayerBudget]

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def cells(self) -> int:
        return sum(layer.cells + layer.params for layer in self.layers)

    def problems(self) -> list[str]:
        """Each limit of the target the model cannot fit, with by how much."""
        limit = self.target.max_cells
        if limit is not None and self.cells > limit:
            over = self.cells - limit
            return [
                f"the workbook needs at least {self.cells:,} cells ({self.params:,} weights "
                f"alone); target '{self.target.name}' allows {limit:,} cells per "
                f"spreadsheet, {over:,} fewer"
            ]
        return []

    def check(self) -> None:
        """Raise :class:`TargetLimitError` naming every limit the model exceeds."""
        problems = self.problems()
        if problems:
            raise TargetLimitError("the model does not fit: " + "; ".join(problems))


def estimate(graph: Graph, target: Target) -> Budget:
    """The budget of ``graph``: weights and new cells per layer, inputs included."""
    rows = [
        LayerBudget(name, "InputLayer", t.shape, 0, math.prod(t.shape)) for name, t in graph.inputs
    ]
    seen_layers: set[int] = set()
    for op in graph.ops:
        if op.cls == "InputLayer":
            continue
        # A shared layer's weights are laid out once.
        params = 0 if id(op.layer) in seen_layers else _weight_count(op.layer)
        seen_layers.add(id(op.layer))
        lowering = find(op.cls)
        makes_cells = lowering is None or not lowering.view
        cells = sum(math.prod(t.shape) for t in op.outputs) if makes_cells else 0
        shape = op.outputs[0].shape if op.outputs else ()
        rows.append(LayerBudget(op.name, op.cls, shape, params, cells))
    return Budget(target, rows)


def _weight_count(layer) -> int:
    # An operation called on a tensor (keras.ops.gelu(x)) is not a Layer and holds no weights.
    return int(layer.count_params()) if hasattr(layer, "count_params") else 0
