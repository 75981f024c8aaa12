"""The issue's three targets, judged on the results of one run."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Target:
    """One target: what it asks, what was measured, and whether it was met."""

    name: str
    asks: str
    measured: str
    status: str  # "met", "missed" or "not measured"
    margin: str

    def to_dict(self) -> dict:
        return asdict(self)


def _layout(results: dict, model: str, layout: str) -> dict | None:
    for entry in results["models"]:
        if entry["name"] == model:
            return entry["layouts"].get(layout)
    return None


def _model(results: dict, name: str) -> dict | None:
    return next((m for m in results["models"] if m["name"] == name), None)


def proof_speed(results: dict) -> Target:
    """LeNet-5 compact under ``formulas`` within 1.5× the 1,000-cell baseline."""
    asks = "LeNet-5 `--layout compact` proved by `formulas` in ≤ 1.5× the 1,000-cell baseline"
    lenet = _layout(results, "lenet5", "compact")
    base = results["baseline"]["proofs"].get("formulas", {})
    proof = (lenet or {}).get("proofs", {}).get("formulas", {})
    if proof.get("status") != "ok" or base.get("status") != "ok":
        return Target("proof speed", asks, "—", "not measured", "")
    ratio = proof["total_s"] / base["total_s"]
    measured = (
        f"{proof['total_s']:,.1f} s vs baseline {base['total_s']:,.1f} s = {ratio:,.1f}× "
        f"({lenet['formula_cells']:,} formula + {lenet['constant_cells']:,} constant cells vs "
        f"{results['baseline']['formula_cells']:,} + {results['baseline']['constant_cells']:,})"
    )
    if ratio <= 1.5:
        return Target("proof speed", asks, measured, "met", f"{1.5 - ratio:.2f}× to spare")
    return Target(
        "proof speed",
        asks,
        measured,
        "missed",
        f"{ratio / 1.5:,.1f}× too slow: needs ≤ {1.5 * base['total_s']:,.1f} s",
    )


def readable_cells(results: dict) -> Target:
    """Readable LeNet-5: no more formula cells than neurons plus the softmax's helpers."""
    asks = "readable LeNet-5: formula cells ≤ neurons (every layer's output) + softmax helpers"
    lenet = _layout(results, "lenet5", "readable")
    model = _model(results, "lenet5")
    if lenet is None or model is None:
        return Target("readable cells", asks, "—", "not measured", "")
    allowed = model["neurons"] + lenet["softmax_helpers"]
    extra = lenet["check_formula_cells"] + lenet.get("prediction_formula_cells", 0)
    cells = lenet["formula_cells"] - extra
    measured = (
        f"{cells:,} formula cells for {model['neurons']:,} neurons + "
        f"{lenet['softmax_helpers']} softmax helpers = {allowed:,} allowed (not counted: "
        f"{lenet['check_formula_cells']} on the Check sheet, "
        f"{lenet.get('prediction_formula_cells', 0)} showing the prediction)"
    )
    if cells <= allowed:
        spare = f"{allowed - cells:,} cells to spare"
        return Target("readable cells", asks, measured, "met", spare)
    return Target("readable cells", asks, measured, "missed", f"{cells - allowed:,} cells over")


def compile_speed(results: dict) -> Target:
    """Compile of the 100k-parameter CNN (no Keras import) within 2× XlsxWriter alone."""
    asks = "compile of the ~100k-parameter CNN (without the Keras import) ≤ 2× XlsxWriter alone"
    entry = _layout(results, "cnn100k", "readable")
    if entry is None:
        return Target("compile speed", asks, "—", "not measured", "")
    ratio = entry["compile_s"] / entry["xlsxwriter_s"]
    measured = (
        f"readable: {entry['compile_s']:,.1f} s vs XlsxWriter {entry['xlsxwriter_s']:,.1f} s "
        f"= {ratio:.2f}×"
    )
    compact = _layout(results, "cnn100k", "compact")
    if compact is not None:
        measured += f"; compact: {compact['compile_s'] / compact['xlsxwriter_s']:.2f}×"
    if ratio <= 2.0:
        return Target("compile speed", asks, measured, "met", f"{2.0 - ratio:.2f}× to spare")
    needed = 2.0 * entry["xlsxwriter_s"]
    return Target(
        "compile speed", asks, measured, "missed", f"{ratio / 2:.2f}× over: needs ≤ {needed:.1f} s"
    )


def judge(results: dict) -> list[Target]:
    """Every target, in the issue's order."""
    return [proof_speed(results), readable_cells(results), compile_speed(results)]
