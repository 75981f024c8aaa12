"""Compile one model stage by stage, timing each stage, the way ``compile_model`` does.

The stages are the calls :func:`cnn2sheet.compiler.compile_model` makes, in its order, so the
sum of the stage times is its running time; the library is only called, never changed. Keras's
own work (loading the model, ``predict`` for the self-check sheet) is timed apart from the
compiler's.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnn2sheet.backend.check_sheet import CHECK_LAYER, add_check, keras_outputs
from cnn2sheet.backend.prediction import PREDICTION_LAYER, add_prediction
from cnn2sheet.backend.workbook import write_workbook
from cnn2sheet.budget import estimate
from cnn2sheet.frontend import build_graph, load_model
from cnn2sheet.ir.evaluate import evaluate
from cnn2sheet.layout import plan_layout
from cnn2sheet.layout.plan import check_mode
from cnn2sheet.lowering import check_graph, lower
from cnn2sheet.passes import COMPACT_PIPELINE, PIPELINE, run_passes
from cnn2sheet.passes.split_long_sums import split_long_sums
from cnn2sheet.samples import load_samples
from cnn2sheet.targets import get_target

# Stages that are the compiler's own work (the rest is Keras, or writing the file).
COMPILER_STAGES = ("graph", "lower", "passes", "prediction", "check", "layout", "evaluate")


@dataclass
class Staged:
    """What a staged compile did: seconds per stage and the program's cell counts."""

    seconds: dict[str, float] = field(default_factory=dict)
    formula_cells: int = 0
    constant_cells: int = 0
    check_formula_cells: int = 0  # formula cells of the self-check sheet
    prediction_formula_cells: int = 0  # formula cells showing the predicted class
    blocks: list[tuple[str, str, str, int]] = field(default_factory=list)  # name, layer, kind

    @property
    def compiler_seconds(self) -> float:
        """Graph, lowering, passes, prediction, self-check, layout, evaluation: compiler work."""
        return sum(self.seconds[s] for s in COMPILER_STAGES)

    @property
    def total_seconds(self) -> float:
        """Every stage: what ``compile_model`` costs once Keras is imported."""
        return sum(self.seconds.values())


@contextmanager
def _stage(record: dict[str, float], name: str):
    began = time.perf_counter()
    yield
    record[name] = record.get(name, 0.0) + time.perf_counter() - began


def staged_compile(
    model_path: Path, output: Path, sample: np.ndarray, layout: str, target: str = "excel"
) -> Staged:
    """Compile ``model_path`` into ``output`` as ``compile_model`` does, timing each stage."""
    staged = Staged()
    t = staged.seconds
    gc.collect()  # start every timed compile from the same heap, not amid a previous one's garbage

    with _stage(t, "load model"):
        model = load_model(model_path)
    with _stage(t, "graph"):
        spec = get_target(target)
        check_mode(layout)
        graph = build_graph(model)
        inputs = [(name, tensor.shape) for name, tensor in graph.inputs]
        samples = [batch[0] for batch in load_samples(sample, inputs)]
        check_graph(graph)
        estimate(graph, spec).check()
    with _stage(t, "lower"):
        program = lower(graph, samples)
    with _stage(t, "passes"):
        run_passes(program, COMPACT_PIPELINE if layout == "compact" else PIPELINE)
    with _stage(t, "prediction"):
        add_prediction(program, None)
    with _stage(t, "keras predict"):
        expected = keras_outputs(model, program)
    with _stage(t, "check"):
        add_check(program, expected)
    with _stage(t, "layout"):
        placed = plan_layout(program, spec, layout)
        if split_long_sums(program, placed, spec):
            placed = plan_layout(program, spec, layout)
    with _stage(t, "evaluate"):
        values = evaluate(program)
    with _stage(t, "write"):
        write_workbook(program, placed, values, output, spec)

    staged.formula_cells = program.formula_count()
    total = sum(b.size for b in program.blocks.values())
    staged.constant_cells = total - staged.formula_cells
    staged.check_formula_cells = sum(
        b.size for b in program.compute_blocks() if b.layer == CHECK_LAYER
    )
    staged.prediction_formula_cells = sum(
        b.size for b in program.compute_blocks() if b.layer == PREDICTION_LAYER
    )
    staged.blocks = [(b.name, b.layer, b.kind, b.size) for b in program.blocks.values()]
    return staged


def profile_compile(model_path: Path, output: Path, sample: np.ndarray, layout: str, top: int):
    """Run :func:`staged_compile` under cProfile; return the stage times and the report text."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    staged = profiler.runcall(staged_compile, model_path, output, sample, layout)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return staged, text.getvalue()
