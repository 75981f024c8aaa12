"""Compile and prove a ladder of models; write benchmarks/results.md and results.json.

    python benchmarks/run.py              # the whole ladder (~9 min on 2 idle cores)
    python benchmarks/run.py --quick      # the three smallest models, formulas within budget
    python benchmarks/run.py --only lenet5 [--out PREFIX]
    python benchmarks/run.py --profile [--only cnn100k] [--layout readable]
    python benchmarks/run.py --from-json benchmarks/results.json   # re-render only

See benchmarks/README.md for how to read the results.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import baseline
import ladder
import machine
import proofs
import report
import sheet_stats
import stages
import targets

HERE = Path(__file__).resolve().parent
LAYOUTS = ("readable", "compact")
# Proofs a target needs: run whatever the time estimate says (but not with --quick).
REQUIRED = {("lenet5", "compact", "formulas")}


def run_baseline(folder: Path, engines: list[str], rate: proofs.FormulasRate) -> dict:
    """Write and prove the 1,000-cell reference workbook; it also seeds the formulas rate."""
    book = folder / "baseline.xlsx"
    image, expected = baseline.write_baseline(book)
    stats = sheet_stats.formula_stats(sheet_stats.read_workbook(book)[0])
    cells = stats.formula_cells + stats.value_cells
    entry = {
        "formula_cells": stats.formula_cells,
        "constant_cells": stats.value_cells,
        "cells": cells,
        "workbook_bytes": book.stat().st_size,
        "proofs": {},
    }
    for engine in engines:
        result = proofs.prove(engine, book, image)
        proofs.compare(result, expected)
        if engine == "formulas" and result["status"] == "ok":
            rate.add("baseline", cells, result["total_s"])
        entry["proofs"][engine] = result
        _say(f"  baseline {engine}: {_brief(result)}")
    return entry


def run_layout(
    prepared, layout: str, folder: Path, engines, rate, *, guard: bool, quick: bool, repeat: int
) -> dict:
    """Compile one model in one layout, measure the workbook, and prove it in each engine."""
    name = prepared.case.name
    book = folder / f"{name}-{layout}.xlsx"
    # Best of `repeat` runs, for compile and XlsxWriter alike: the machine may be shared.
    staged = min(
        (
            stages.staged_compile(prepared.path, book, prepared.sample, layout)
            for _ in range(repeat)
        ),
        key=lambda s: s.total_seconds,
    )
    if guard:
        _guard(prepared, layout, staged, folder)
    sheets, names = sheet_stats.read_workbook(book)
    stats = sheet_stats.formula_stats(sheets)
    alone = folder / "xlsxwriter-alone.xlsx"
    xlsxwriter_s = min(sheet_stats.time_xlsxwriter(sheets, names, alone) for _ in range(repeat))
    del sheets
    cells = staged.formula_cells + staged.constant_cells
    entry = {
        "formula_cells": staged.formula_cells,
        "constant_cells": staged.constant_cells,
        "check_formula_cells": staged.check_formula_cells,
        "prediction_formula_cells": staged.prediction_formula_cells,
        "softmax_helpers": _softmax_helpers(prepared, staged),
        "longest_formula": stats.longest_formula,
        "deepest_nesting": stats.deepest_nesting,
        "formula_shapes": stats.distinct_shapes,
        "workbook_bytes": book.stat().st_size,
        "stages": staged.seconds,
        "compile_s": staged.total_seconds,
        "compiler_s": staged.compiler_seconds,
        "xlsxwriter_s": xlsxwriter_s,
        "proofs": {},
    }
    _say(
        f"  {name} {layout}: {staged.formula_cells:,} formulas, compile "
        f"{staged.total_seconds:.1f} s, XlsxWriter alone {xlsxwriter_s:.1f} s"
    )

    for engine in engines:
        reason = None
        if engine == "formulas" and (quick or (name, layout, engine) not in REQUIRED):
            reason = rate.skip_reason(staged.formula_cells, cells)
        if reason:
            result = {"status": reason, "estimate_s": rate.estimate(cells)}
        else:
            result = proofs.prove(engine, book, prepared.sample)
            proofs.compare(result, prepared.keras_output)
            if engine == "formulas" and result["status"] == "ok":
                rate.add(f"{name} {layout}", cells, result["total_s"])
        entry["proofs"][engine] = result
        _say(f"    {engine}: {_brief(result)}")
    return entry


def _softmax_helpers(prepared, staged: stages.Staged) -> int:
    """Formula cells a softmax layer has beyond its outputs (linear, max, exp and sum cells)."""
    outputs = {name: math.prod(shape) for name, _, shape in prepared.layers}
    cells = sum(
        size
        for _, layer, kind, size in staged.blocks
        if kind == "compute" and layer in prepared.softmax_layers
    )
    return cells - sum(outputs[name] for name in prepared.softmax_layers)


def _guard(prepared, layout: str, staged: stages.Staged, folder: Path) -> None:
    """Stop if stages.py no longer makes what compile_model makes."""
    import cnn2sheet

    result = cnn2sheet.compile_model(
        prepared.path, folder / "guard.xlsx", sample=prepared.sample, layout=layout
    )
    got = (staged.formula_cells, staged.constant_cells)
    if (result.formula_cells, result.constant_cells) != got:
        raise SystemExit(
            f"stages.py is out of step with cnn2sheet.compile_model: it made {got} formula/"
            f"constant cells, compile_model {(result.formula_cells, result.constant_cells)}"
        )


def _brief(result: dict) -> str:
    if result.get("status") != "ok":
        return result.get("status", "?")
    return (
        f"{result['total_s']:.1f} s, {result['peak_mb']:,.0f} MB, "
        f"max error {result.get('max_abs_error', float('nan')):.1e}"
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the three smallest models")
    parser.add_argument("--only", metavar="NAME", help="one model of the ladder")
    parser.add_argument("--out", metavar="PREFIX", help="write PREFIX.md and PREFIX.json")
    parser.add_argument(
        "--formulas-budget",
        type=float,
        default=120.0,
        metavar="S",
        help="skip a formulas proof estimated over S seconds (default 120)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="time each compile and XlsxWriter write N times, keep the best (default 3)",
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the compiled workbooks in DIR")
    parser.add_argument("--profile", action="store_true", help="cProfile one compile, print")
    parser.add_argument("--layout", default="readable", choices=LAYOUTS, help="for --profile")
    parser.add_argument(
        "--from-json", metavar="FILE", help="re-render results.md and the targets from FILE"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv=None) -> None:
    """Run the benchmark the arguments ask for."""
    args = _parse(argv)
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        results["targets"] = [t.to_dict() for t in targets.judge(results)]
        _write(results, args)
        return
    began = time.perf_counter()
    load_before = machine.load()
    import_began = time.perf_counter()
    import keras

    keras_import = time.perf_counter() - import_began
    folder_context = tempfile.TemporaryDirectory(prefix="cnn2sheet-bench-")
    folder = Path(args.keep) if args.keep else Path(folder_context.name)
    folder.mkdir(parents=True, exist_ok=True)

    if args.profile:
        case = ladder.select(args.only or "cnn100k", False)[0]
        prepared = ladder.prepare(case, folder, keras)
        book = folder / f"{case.name}-{args.layout}-profile.xlsx"
        staged, text = stages.profile_compile(prepared.path, book, prepared.sample, args.layout, 30)
        print({k: round(v, 2) for k, v in staged.seconds.items()})
        print(text)
        return

    engines = proofs.engines()
    rate = proofs.FormulasRate(budget=args.formulas_budget)
    _say(f"engines: {', '.join(engines)}; keras import {keras_import:.1f} s")
    results = {"baseline": run_baseline(folder, engines, rate), "models": []}
    for index, case in enumerate(ladder.select(args.only, args.quick)):
        prepared = ladder.prepare(case, folder, keras)
        layouts = {
            layout: run_layout(
                prepared,
                layout,
                folder,
                engines,
                rate,
                guard=index == 0,
                quick=args.quick,
                repeat=args.repeat,
            )
            for layout in LAYOUTS
        }
        results["models"].append(
            {
                "name": case.name,
                "description": case.description,
                "params": prepared.params,
                "neurons": prepared.neurons,
                "layers": prepared.layers,
                "layouts": layouts,
            }
        )

    results["keras_import_s"] = keras_import
    results["repeat"] = args.repeat
    results["formulas_rate"] = {
        "per_cell": rate.per_cell,
        "budget": rate.budget,
        "measured": rate.samples,
    }
    results["targets"] = [t.to_dict() for t in targets.judge(results)]
    results["load"] = {"before": load_before, "after": machine.load()}
    results["machine"] = machine.describe()
    results["seconds"] = time.perf_counter() - began
    _write(results, args)
    folder_context.cleanup()


def _write(results: dict, args) -> None:
    text = report.results_markdown(results)
    partial = args.quick or args.only
    if partial and not args.out:
        print(text)
        return
    prefix = Path(args.out) if args.out else HERE / "results"
    prefix.with_suffix(".md").write_text(text, encoding="utf-8")
    with open(prefix.with_suffix(".json"), "w", encoding="utf-8") as out:
        json.dump(results, out, indent=1)
        out.write("\n")
    if not partial:
        report.update_readme(HERE / "README.md", results["targets"], results["machine"]["date"])
    _say(f"wrote {prefix.with_suffix('.md')} and {prefix.with_suffix('.json')}")


if __name__ == "__main__":
    main()
