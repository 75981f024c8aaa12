"""Which layers verify compares with Keras cell by cell, and where their cells are.

Each layer application of the graph is matched with the manifest's blocks of that layer that
hold formulas in the role ``output``. A layer is compared when exactly one such block has the
layer's output shape and a known arrangement; otherwise it is listed with the reason it was not
(no cells of its own, applied more than once, a nested model, ...), never silently dropped.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np

from cnn2sheet.backend.manifest import Entry, positions
from cnn2sheet.frontend.graph import Graph, Op
from cnn2sheet.verify.engines.workbook_names import Area, WorkbookNames

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Watch:
    """Cells to read from the workbook: a target of the session and where the tensor sits in it.

    ``positions[k]`` is the row-by-row index, within ``area``, of the tensor's cell ``k``
    (C order).
    """

    target: str
    area: Area
    shape: tuple[int, ...]
    positions: np.ndarray

    @property
    def size(self) -> int:
        return int(self.positions.size)

    def address(self, cell: int) -> str:
        """Where the tensor's cell ``cell`` (C order) sits: ``'model'!B4``."""
        row, col = divmod(int(self.positions[cell]), self.area.shape[1])
        return self.area.cell_address(self.area.min_row + row, self.area.min_col + col)


@dataclass(frozen=True, eq=False)
class Probe:
    """A layer to compare: its Keras layer object and the cells holding its output."""

    layer: object
    name: str
    cls: str
    block: str
    watch: Watch | None = None
    skipped: str = ""


def port_watch(names: WorkbookNames, name: str, shape: tuple[int, ...]) -> Watch:
    """A model input or output: a defined name whose cells are the tensor row by row."""
    size = int(np.prod(shape, dtype=np.int64))
    return Watch(name, names.resolve(name), shape, np.arange(size))


def plan_probes(graph: Graph, entries: list[Entry], names: WorkbookNames) -> list[Probe]:
    """One probe per layer application of ``graph`` in model order (inputs excluded)."""
    blocks: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.kind == "compute" and entry.role == "output":
            blocks.setdefault(entry.layer, []).append(entry)
    uses = Counter(id(op.layer) for op in graph.ops)

    probes = []
    for op in graph.ops:
        if op.cls == "InputLayer":
            continue
        reason, entry = _match(op, uses[id(op.layer)], blocks.get(op.name, []))
        if entry is None:
            probes.append(Probe(op.layer, op.name, op.cls, "", skipped=reason))
            continue
        area = names.resolve(entry.range)
        where = positions(entry.shape, entry.arrangement, area.shape[1])
        watch = Watch(entry.range, area, entry.shape, where)
        probes.append(Probe(op.layer, op.name, op.cls, entry.block, watch))
    log.debug(
        "comparing %d of %d layers cell by cell",
        sum(p.watch is not None for p in probes),
        len(probes),
    )
    return probes


def _match(op: Op, uses: int, candidates: list[Entry]) -> tuple[str, Entry | None]:
    """The block holding ``op``'s output, or why there is none to compare."""
    import keras

    if isinstance(op.layer, keras.Model):
        return "a nested model; its own layers are not compared one by one", None
    if op.scope:
        # Inlined from a nested model: Keras has its output only inside that model's graph.
        return f"inside nested model '{op.scope.rstrip('/')}'", None
    if uses > 1:
        return f"applied {uses} times (a shared layer); Keras gives no single output", None
    if len(op.outputs) != 1:
        return f"{len(op.outputs)} output tensors", None
    if not candidates:
        return (
            "no cells of its own (it only moves references, or was folded into a neighbour)",
            None,
        )
    shape = op.outputs[0].shape
    fitting = [e for e in candidates if e.shape == shape]
    if not fitting:
        found = ", ".join("x".join(map(str, e.shape)) or "1" for e in candidates)
        return f"its cells have shape {found}, its output {'x'.join(map(str, shape))}", None
    if len(fitting) > 1:
        return (
            f"{len(fitting)} blocks have its output's shape; which is the output is unclear",
            None,
        )
    entry = fitting[0]
    if positions(entry.shape, entry.arrangement, 1) is None:
        return f"its cells are arranged '{entry.arrangement}', not in a known order", None
    return "", entry


def keras_outputs(model, probes: list[Probe], batches: list[np.ndarray]) -> list[np.ndarray]:
    """Keras's model outputs, then each compared layer's output, for the whole batch at once."""
    import keras

    compared = [p for p in probes if p.watch is not None]
    outputs = list(model.outputs) + [p.layer.output for p in compared]
    probe_model = keras.Model(model.inputs, outputs) if compared else model
    feed = [b.astype(str(t.dtype)) for b, t in zip(batches, model.inputs, strict=True)]
    predicted = probe_model.predict(feed[0] if len(feed) == 1 else feed, verbose=0)
    if not isinstance(predicted, list | tuple):
        predicted = [predicted]
    count = batches[0].shape[0]
    return [np.asarray(p, dtype=np.float64).reshape(count, -1) for p in predicted]
