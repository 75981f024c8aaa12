"""compile_model: Keras model → cell IR → passes → layout → formulas → .xlsx."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cnn2sheet.backend.check_sheet import add_check, keras_outputs
from cnn2sheet.backend.workbook import write_workbook
from cnn2sheet.budget import Budget, estimate
from cnn2sheet.frontend import build_graph, load_model
from cnn2sheet.ir.evaluate import evaluate
from cnn2sheet.layout import plan_layout
from cnn2sheet.layout.plan import check_mode
from cnn2sheet.lowering import check_graph, lower
from cnn2sheet.passes import COMPACT_PIPELINE, PIPELINE, run_passes
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
) -> CompileResult:
    """Compile ``model`` (a ``keras.Model`` or a .keras/.h5 path) into the workbook ``output``.

    ``sample`` (array, dict by input name, or .npy/.npz path) fills the input cells; without it
    they hold zeros. ``layout`` is ``"readable"`` (every layer visible, one grid per channel) or
    ``"compact"`` (fewest formula cells and characters). ``check`` adds the ``Check`` sheet,
    where the workbook compares its live outputs with Keras's for the inputs it holds and shows
    PASS or FAIL. ``formulas`` maps layer names to elementwise formulas in ``x`` (spreadsheet
    syntax, e.g. ``{"scale_up": "2*x+1"}``) for layers the compiler has no lowering for. Nothing
    is written unless the whole compile succeeds.
    """
    began = time.perf_counter()
    spec = get_target(target)
    check_mode(layout)
    model = load_model(model)
    graph = build_graph(model)
    samples = _first_samples(sample, graph)

    # Refuse what cannot fit before spending time on it.
    check_graph(graph, formulas)
    estimate(graph, spec).check()

    program = lower(graph, samples, formulas)
    run_passes(program, COMPACT_PIPELINE if layout == "compact" else PIPELINE)
    if check:
        # After the passes: the check reads the final output cells and nothing may fold it away.
        add_check(program, keras_outputs(model, program))
    placed = plan_layout(program, spec, layout)

    values = evaluate(program)
    path = write_workbook(program, placed, values, output, spec)

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


def _first_samples(sample, graph):
    if sample is None:
        return None
    inputs = [(name, t.shape) for name, t in graph.inputs]
    return [batch[0] for batch in load_samples(sample, inputs)]
