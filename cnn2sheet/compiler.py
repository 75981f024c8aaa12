"""compile_model: Keras model → cell IR → passes → layout → formulas → .xlsx."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cnn2sheet.backend.check_sheet import add_check, keras_outputs
from cnn2sheet.backend.prediction import add_prediction, read_labels
from cnn2sheet.backend.workbook import range_text, write_workbook
from cnn2sheet.budget import Budget, estimate
from cnn2sheet.frontend import build_graph, load_model
from cnn2sheet.ir.evaluate import evaluate
from cnn2sheet.layout import plan_layout
from cnn2sheet.layout.plan import check_mode
from cnn2sheet.lowering import check_graph, lower
from cnn2sheet.passes import COMPACT_PIPELINE, PIPELINE, run_passes
from cnn2sheet.passes.split_long_sums import split_long_sums
from cnn2sheet.progress import Progress
from cnn2sheet.samples import load_samples
from cnn2sheet.targets import get_target

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompileResult:
    """What a compile wrote and how big it is."""

    path: Path
    target: str
    formula_cells: int
    constant_cells: int
    sheets: int
    seconds: float


def compile_model(
    model,
    output: str | os.PathLike,
    *,
    sample=None,
    target: str = "excel",
    layout: str = "readable",
    check: bool = True,
    formulas: dict[str, str] | None = None,
    labels: list[str] | str | os.PathLike | None = None,
    progress: Progress | None = None,
) -> CompileResult:
    """Compile ``model`` (a ``keras.Model`` or a .keras/.h5 path) into the workbook ``output``.

    ``sample`` (array, dict by input name, or .npy/.npz path) fills the input cells; without it
    they hold zeros. ``layout`` is ``"readable"`` (every layer visible, one grid per channel) or
    ``"compact"`` (fewest formula cells and characters). ``check`` adds the ``Check`` sheet,
    where the workbook compares its live outputs with Keras's for the inputs it holds and shows
    PASS or FAIL. ``formulas`` maps layer names to elementwise formulas in ``x`` (spreadsheet
    syntax, e.g. ``{"scale_up": "2*x+1"}``) for layers the compiler has no lowering for.
    ``labels`` (a list, or a text file with one label per line) names the classes of a
    classifier's output; the predicted class is always shown, under the defined name
    ``prediction``. ``progress(stage, done, total)`` is called as cells are evaluated and
    written. Nothing is written unless the whole compile succeeds.
    """
    began = time.perf_counter()
    spec = get_target(target)
    check_mode(layout)
    if isinstance(labels, str | os.PathLike):
        labels = read_labels(labels)
    model = load_model(model)
    graph = build_graph(model)
    samples = _first_samples(sample, graph)

    # Refuse what cannot fit before spending time on it.
    check_graph(graph, formulas)
    estimate(graph, spec).check()

    program = lower(graph, samples, formulas)
    run_passes(program, COMPACT_PIPELINE if layout == "compact" else PIPELINE)
    # After the passes, so nothing folds them away: the answer, then the self-check.
    add_prediction(program, labels)
    if check:
        add_check(program, keras_outputs(model, program))
    placed = plan_layout(program, spec, layout)
    if split_long_sums(program, placed, spec):
        # New partial-sum cells need places of their own.
        placed = plan_layout(program, spec, layout)

    values = evaluate(program, progress)
    path = write_workbook(program, placed, values, output, spec, progress)

    formula_cells = program.formula_count()
    constants = sum(b.size for b in program.blocks.values()) - formula_cells
    result = CompileResult(
        path, spec.name, formula_cells, constants, len(placed.sheets), time.perf_counter() - began
    )
    log.info(
        "compiled %s: %d formula cells, %d constant cells in %.1f s",
        path,
        formula_cells,
        constants,
        result.seconds,
    )
    return result


def inspect_model(model, target: str = "excel") -> Budget:
    """The per-layer budget of ``model`` for ``target``, without lowering or writing anything."""
    spec = get_target(target)
    graph = build_graph(load_model(model))
    return estimate(graph, spec)


@dataclass(frozen=True)
class LayerPlan:
    """Where a layer's cells would sit: counted after the passes, placed by the layout."""

    cells: int
    formulas: int
    where: str


DRY_RUN_LIMIT = 2_000_000  # cells; past this, inspect keeps to the estimate (seconds, not minutes)


def plan_model(
    model, target: str = "excel", layout: str = "readable"
) -> dict[str, LayerPlan] | None:
    """Per Keras layer: its cells, formula cells and place in the workbook, without writing.

    Returns None for a model too large to lower quickly (over :data:`DRY_RUN_LIMIT` cells) or
    too large for the target.
    """
    spec = get_target(target)
    graph = build_graph(load_model(model))
    budget = estimate(graph, spec)
    if budget.cells > DRY_RUN_LIMIT or budget.problems():
        return None
    program = lower(graph)
    run_passes(program, COMPACT_PIPELINE if check_mode(layout) == "compact" else PIPELINE)
    placed = plan_layout(program, spec, layout)

    plans: dict[str, LayerPlan] = {}
    for block in program.blocks.values():
        for layer in block.layers:
            old = plans.get(layer, LayerPlan(0, 0, ""))
            share = block.size if layer == block.layer else 0  # fused cells count once
            formulas = share if block.kind == "compute" else 0
            where = old.where
            if block.layer == layer and block.role in ("output", "input") or not where:
                where = range_text(placed, placed.placements[block.name])
            plans[layer] = LayerPlan(old.cells + share, old.formulas + formulas, where)
    return plans


def _first_samples(sample, graph):
    if sample is None:
        return None
    inputs = [(name, t.shape) for name, t in graph.inputs]
    return [batch[0] for batch in load_samples(sample, inputs)]
