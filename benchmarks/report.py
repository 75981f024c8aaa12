"""Render a run's results as Markdown (results.md, and the Targets section of the README)."""

from __future__ import annotations

import re
from pathlib import Path

STAGES = (
    "load model",
    "graph",
    "lower",
    "passes",
    "prediction",
    "keras predict",
    "check",
    "layout",
    "evaluate",
    "write",
)
BEGIN, END = "<!-- targets:begin -->", "<!-- targets:end -->"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def _pairs(results: dict):
    for model in results["models"]:
        for layout, entry in model["layouts"].items():
            yield model, layout, entry


def _machine(results: dict) -> list[str]:
    m = results["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    load = results["load"]
    busy = max(load["before"][0], load["after"][0]) > 0.5 * (m["cores"] or 1)
    lines = [
        f"- Date: {m['date']}; commit {m['commit']}",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gb']:.1f} GB; {m['os']}",
        f"- Python {m['python']}; {packages}",
        f"- Gnumeric: {m['gnumeric']}; LibreOffice: {m['libreoffice']}",
        f"- Load average (1/5/15 min) before: {load['before']}, after: {load['after']}; "
        f"run took {results['seconds'] / 60:.1f} min",
        f"- Compile and XlsxWriter times: best of {results.get('repeat', 1)} runs each",
        f"- `import keras` took {results['keras_import_s']:.1f} s (once per process, not "
        "counted in any compile time below)",
    ]
    if busy:
        lines.append(
            "- **Shared machine**: other processes kept the CPUs busy during the run (load "
            "above), so absolute times are inflated and noisy; ratios measured in the same run "
            "(baseline, XlsxWriter) are fairer than absolute seconds."
        )
    return lines


def _without_keras(entry: dict) -> float:
    """Compile seconds without Keras's fixed costs (loading the model, predict)."""
    return entry["compile_s"] - entry["stages"]["load model"] - entry["stages"]["keras predict"]


def _summary(results: dict) -> list[str]:
    rows = []
    for model, layout, e in _pairs(results):
        cells = e["formula_cells"] + e["constant_cells"]
        rows.append(
            [
                model["name"],
                layout,
                f"{model['params']:,}",
                f"{e['formula_cells']:,}",
                f"{e['constant_cells']:,}",
                f"{e['longest_formula']:,}",
                str(e["deepest_nesting"]),
                _mb(e["workbook_bytes"]),
                f"{e['compile_s']:.2f}",
                f"{e['compiler_s']:.2f}",
                f"{e['stages']['write']:.2f}",
                f"{e['xlsxwriter_s']:.2f}",
                f"{e['compile_s'] / e['xlsxwriter_s']:.2f}×",
                f"{1e6 * _without_keras(e) / cells:.0f}",
            ]
        )
    header = [
        "model",
        "layout",
        "params",
        "formula cells",
        "constant cells",
        "longest formula (chars)",
        "deepest nesting",
        "workbook",
        "compile s",
        "compiler s",
        "write s",
        "XlsxWriter alone s",
        "compile / XlsxWriter",
        "ms / 1k cells (no Keras)",
    ]
    return _table(header, rows)


def _stages(results: dict) -> list[str]:
    rows = [
        [model["name"], layout]
        + [f"{e['stages'][s]:.2f}" for s in STAGES]
        + [f"{e['compile_s']:.2f}"]
        for model, layout, e in _pairs(results)
    ]
    return _table(["model", "layout", *STAGES, "total"], rows)


def _proof_rows(proofs: dict, cells: int) -> list[list[str]]:
    rows = []
    for engine, p in proofs.items():
        if p.get("status") != "ok":
            rows.append([engine, p.get("status", "?"), "", "", "", "", "", "", ""])
            continue
        rows.append(
            [
                engine,
                "pass" if p.get("passed", True) else f"FAIL ({p['error_cells']} error cells)",
                f"{p['load_s']:.2f}",
                f"{p['evaluate_s']:.2f}",
                f"{p['total_s']:.2f}",
                f"{p['process_s']:.2f}",
                f"{1000 * p['total_s'] / cells:.3f}",
                f"{p['peak_mb']:,.0f}",
                f"{p['max_abs_error']:.1e}" if "max_abs_error" in p else "—",
            ]
        )
    return rows


PROOF_HEADER = [
    "engine",
    "result",
    "load s",
    "evaluate s",
    "proof s",
    "process s",
    "proof s / 1k cells",
    "peak RSS MB",
    "max abs error vs Keras",
]


def _proofs(results: dict) -> list[str]:
    base = results["baseline"]
    lines = [
        "### baseline: 1,000 `=MAX(0,SUMPRODUCT(5×5 window,5×5 weights))` cells",
        "",
        f"{base['formula_cells']:,} formula cells, {base['constant_cells']:,} constant cells, "
        f"{_mb(base['workbook_bytes'])}.",
        "",
        *_table(PROOF_HEADER, _proof_rows(base["proofs"], base["cells"])),
    ]
    for model, layout, e in _pairs(results):
        cells = e["formula_cells"] + e["constant_cells"]
        lines += [
            "",
            f"### {model['name']} · {layout}",
            "",
            f"{model['description']}; {model['params']:,} parameters, {model['neurons']:,} "
            f"neurons; {e['formula_cells']:,} formula + {e['constant_cells']:,} constant cells.",
            "",
            *_table(PROOF_HEADER, _proof_rows(e["proofs"], cells)),
        ]
    return lines


def targets_markdown(targets: list[dict], run_date: str) -> list[str]:
    """The Targets table: each target, the measured value, met or missed and by how much."""
    rows = [[t["asks"], t["measured"], f"**{t['status']}**", t["margin"]] for t in targets]
    return [
        f"Measured by `python benchmarks/run.py` on {run_date} (see `results.md`).",
        "",
        *_table(["target", "measured", "status", "margin"], rows),
    ]


def results_markdown(results: dict) -> str:
    """The whole results.md."""
    rate = results["formulas_rate"]
    lines = [
        "# cnn2sheet benchmark results",
        "",
        "Generated by `python benchmarks/run.py`; how to read it: `benchmarks/README.md`.",
        "",
        "## Machine",
        "",
        *_machine(results),
        "",
        "## Targets",
        "",
        *targets_markdown(results["targets"], results["machine"]["date"]),
        "",
        "## Compile: cells, formula sizes, times",
        "",
        *_summary(results),
        "",
        "## Compile stages (seconds)",
        "",
        *_stages(results),
        "",
        "## Proofs (one sample, one process per engine)",
        "",
        f"`formulas` measured {1000 * rate['per_cell']:.2f} ms per workbook cell in this run; "
        f"proofs estimated over {rate['budget']:.0f} s, or with more than 25,000 formula cells, "
        "are skipped (except LeNet-5 compact, which a target needs).",
        "",
        *_proofs(results),
        "",
    ]
    return "\n".join(lines)


def update_readme(readme: Path, targets: list[dict], run_date: str) -> None:
    """Replace the README's Targets table (between the markers) with this run's."""
    text = readme.read_text(encoding="utf-8")
    body = "\n".join([BEGIN, *targets_markdown(targets, run_date), END])
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{readme} lacks the {BEGIN} ... {END} markers")
    readme.write_text(pattern.sub(lambda _m: body, text), encoding="utf-8")
