"""What a verification found: error figures per output and the verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass

DEFAULT_RTOL = 1e-4
DEFAULT_ATOL = 1e-4
TOLERANCE_RULE = "|sheet - keras| <= max(atol, rtol * |keras|)"


@dataclass(frozen=True)
class OutputReport:
    """How far one model output, read from the workbook, is from Keras's."""

    name: str
    layer: str
    cells: int
    max_abs_error: float
    max_rel_error: float
    worst_sample: int
    worst_cell: int
    sheet_value: float
    keras_value: float
    error_cells: int
    passed: bool


@dataclass(frozen=True)
class VerifyReport:
    """The result of evaluating a workbook and comparing it with the model."""

    workbook: str
    engine: str
    samples: int
    rtol: float
    atol: float
    outputs: list[OutputReport]

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outputs)

    @property
    def max_abs_error(self) -> float:
        return max((o.max_abs_error for o in self.outputs), default=0.0)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["passed"] = self.passed
        data["tolerance"] = TOLERANCE_RULE
        return data

    def to_text(self) -> str:
        lines = [
            f"verified {self.workbook} with {self.engine} on {self.samples} sample(s); "
            f"tolerance {TOLERANCE_RULE}, rtol={self.rtol:g}, atol={self.atol:g}"
        ]
        for o in self.outputs:
            verdict = "PASS" if o.passed else "FAIL"
            line = (
                f"  {o.name} ({o.layer}, {o.cells} cells): max abs error "
                f"{o.max_abs_error:.3g}, max rel error {o.max_rel_error:.3g}  {verdict}"
            )
            if not o.passed:
                line += (
                    f"  worst: sample {o.worst_sample}, cell {o.worst_cell}: sheet "
                    f"{o.sheet_value!r} vs keras {o.keras_value!r}"
                )
            if o.error_cells:
                line += f"  ({o.error_cells} cells hold an error, not a number)"
            lines.append(line)
        lines.append("PASS" if self.passed else "FAIL")
        return "\n".join(lines)
