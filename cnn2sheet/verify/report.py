"""What a verification found: error figures per output and per layer, and the verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

DEFAULT_RTOL = 1e-4
DEFAULT_ATOL = 1e-4
TOLERANCE_RULE = "|sheet - keras| <= max(atol, rtol * |keras|)"


@dataclass(frozen=True)
class Figures:
    """How far some cells, over every sample, are from Keras's values for them.

    ``excess`` is the largest ``|sheet - keras| - max(atol, rtol * |keras|)``: at most 0 when
    every cell passes. The worst cell is the one with that excess; ``worst_cell`` counts in C
    order over the tensor, ``worst_address`` is where it sits (``'model'!B4``).
    """

    cells: int
    max_abs_error: float
    max_rel_error: float
    excess: float
    worst_sample: int
    worst_cell: int
    worst_address: str
    sheet_value: float
    keras_value: float
    error_cells: int
    first_error: str
    passed: bool

    def worst_text(self) -> str:
        """``cell 'model'!B4 on sample 3: sheet 0.5 vs keras 0.25 (|diff| 0.25)``."""
        diff = abs(self.sheet_value - self.keras_value)
        return (
            f"cell {self.worst_address} on sample {self.worst_sample}: sheet "
            f"{self.sheet_value!r} vs keras {self.keras_value!r} (|diff| {diff:.3g})"
        )


_FIGURES = [f.name for f in fields(Figures)]


@dataclass(frozen=True)
class OutputReport:
    """How far one model output, read from the workbook, is from Keras's."""

    name: str
    layer: str
    figures: Figures

    @property
    def passed(self) -> bool:
        return self.figures.passed

    @property
    def max_abs_error(self) -> float:
        return self.figures.max_abs_error


@dataclass(frozen=True)
class LayerReport:
    """One layer's cells against Keras's output of that layer; ``figures`` None if skipped."""

    layer: str
    cls: str
    block: str = ""
    range: str = ""
    figures: Figures | None = None
    skipped: str = ""

    @property
    def compared(self) -> bool:
        return self.figures is not None

    @property
    def passed(self) -> bool:
        return self.figures is None or self.figures.passed


@dataclass(frozen=True)
class SelfCheck:
    """What the workbook's own Check sheet showed for its stored sample in this engine."""

    verdict: str
    max_deviation: float


@dataclass(frozen=True)
class VerifyReport:
    """The result of evaluating a workbook and comparing it with the model."""

    workbook: str
    engine: str
    samples: int
    rtol: float
    atol: float
    outputs: list[OutputReport]
    layers: list[LayerReport] = field(default_factory=list)
    self_check: SelfCheck | None = None

    @property
    def passed(self) -> bool:
        """Every output and every compared layer within tolerance on every sample."""
        return all(o.passed for o in self.outputs) and all(la.passed for la in self.layers)

    @property
    def max_abs_error(self) -> float:
        return max((o.figures.max_abs_error for o in self.outputs), default=0.0)

    @property
    def first_divergence(self) -> LayerReport | None:
        """The first layer, in model order, whose cells are outside tolerance."""
        return next((la for la in self.layers if not la.passed), None)

    @property
    def worst_output(self) -> OutputReport | None:
        """The output whose worst cell is furthest beyond (or closest to) its tolerance."""
        return max(self.outputs, key=lambda o: o.figures.excess, default=None)

    def diagnosis(self) -> str:
        """One paragraph saying where the workbook first departs from the model ("" if not)."""
        if self.passed:
            return ""
        first = self.first_divergence
        if first is not None:
            f = first.figures
            lines = [
                f"layer '{first.layer}' ({first.cls}) is the first to diverge from Keras "
                f"({self.engine}, {self.samples} sample(s)): worst {f.worst_text()}, "
                f"beyond tolerance by {f.excess:.3g}"
            ]
            if f.error_cells:
                lines.append(f"{f.error_cells} of its cells hold no number, first {f.first_error}")
        else:
            o = next(o for o in self.outputs if not o.passed)
            lines = [
                f"output '{o.name}' ({o.layer}) diverges from Keras ({self.engine}) though no "
                f"compared layer does: worst {o.figures.worst_text()}"
            ]
        return "; ".join(lines)

    def to_dict(self) -> dict:
        """Plain data for ``--json``: each output and layer flat, its figures beside its name."""
        data = {k: getattr(self, k) for k in ("workbook", "engine", "samples", "rtol", "atol")}
        data["outputs"] = [
            {"name": o.name, "layer": o.layer, **asdict(o.figures)} for o in self.outputs
        ]
        data["layers"] = [
            {
                "layer": la.layer,
                "class": la.cls,
                "block": la.block,
                "range": la.range,
                "skipped": la.skipped,
                **(asdict(la.figures) if la.figures else dict.fromkeys(_FIGURES)),
            }
            for la in self.layers
        ]
        data["self_check"] = asdict(self.self_check) if self.self_check else None
        data["passed"] = self.passed
        data["tolerance"] = TOLERANCE_RULE
        first = self.first_divergence
        data["first_divergence"] = None if first is None else first.layer
        data["diagnosis"] = self.diagnosis()
        return data

    def to_text(self) -> str:
        lines = [
            f"verified {self.workbook} with {self.engine} on {self.samples} sample(s)",
            f"tolerance: a cell passes when {TOLERANCE_RULE}; rtol={self.rtol:g}, "
            f"atol={self.atol:g}",
            "outputs:",
        ]
        for o in self.outputs:
            lines.append(f"  {o.name} ({o.layer}, {o.figures.cells} cells): " + _figures(o))
        if self.layers:
            lines += _layer_table(self.layers, self.samples)
        worst = self.worst_output
        if worst is not None:
            lines.append(
                f"worst case: output {worst.name} ({worst.layer}), {worst.figures.worst_text()}"
            )
        if self.self_check is not None:
            lines.append(
                f"the workbook's Check sheet says {self.self_check.verdict} (largest "
                f"|live - keras| {self.self_check.max_deviation:.3g})"
            )
        if not self.passed:
            lines.append("diagnosis: " + self.diagnosis())
        lines.append("PASS" if self.passed else "FAIL")
        return "\n".join(lines)


def _figures(o: OutputReport) -> str:
    f = o.figures
    text = (
        f"max abs error {f.max_abs_error:.3g}, max rel error {f.max_rel_error:.3g}  "
        f"{'PASS' if f.passed else 'FAIL'}"
    )
    if f.error_cells:
        text += f"  ({f.error_cells} cells hold an error, not a number; first {f.first_error})"
    return text


def _layer_table(layers: list[LayerReport], samples: int) -> list[str]:
    names = max(len("layer"), *(len(la.layer) for la in layers))
    classes = max(len("class"), *(len(la.cls) for la in layers))
    lines = [
        f"layers in model order (max over {samples} sample(s)):",
        f"  {'layer':<{names}}  {'class':<{classes}}  {'cells':>7}  {'max abs err':>11}  "
        f"{'max rel err':>11}",
    ]
    for la in layers:
        head = f"  {la.layer:<{names}}  {la.cls:<{classes}}  "
        f = la.figures
        if f is None:
            lines.append(f"{head}{'-':>7}  not compared: {la.skipped}")
            continue
        verdict = "PASS" if f.passed else f"FAIL  worst {f.worst_text()}"
        lines.append(
            f"{head}{f.cells:>7}  {f.max_abs_error:>11.3g}  {f.max_rel_error:>11.3g}  {verdict}"
        )
    return lines
