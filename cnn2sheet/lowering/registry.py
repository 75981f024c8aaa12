"""The one registry of supported layers: it feeds the pre-flight check, lowering and the docs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnn2sheet.frontend.graph import Op

LowerFn = Callable[[Op, list[np.ndarray], "Builder"], list[np.ndarray]]  # noqa: F821
CheckFn = Callable[[Op], list[str]]


@dataclass(frozen=True)
class Lowering:
    """How one Keras layer class becomes cells, which options it supports, and a check of them."""

    cls: str
    lower: LowerFn
    check: CheckFn
    options: str
    view: bool = False  # True for layers that only rearrange references and make no cells
    builtin: bool = True  # False for a user's register_layer() or a layer formula


REGISTRY: dict[str, Lowering] = {}


def register(
    *class_names: str, options: str = "", check: CheckFn | None = None, view: bool = False
):
    """Decorator: make ``fn`` the lowering of the Keras layer classes ``class_names``.

    ``check(op)`` returns a list of problems ("option 'x' = 'y' is not supported ..."); it runs on
    the whole model before anything is lowered, so a user sees every problem at once.
    """

    def decorate(fn: LowerFn) -> LowerFn:
        for name in class_names:
            REGISTRY[name] = Lowering(name, fn, check or (lambda op: []), options, view)
        return fn

    return decorate


def supported_layers() -> list[Lowering]:
    """Every registered lowering, sorted by class name (for docs and error messages)."""
    _load_builtin()
    return sorted(REGISTRY.values(), key=lambda lowering: lowering.cls)


def find(cls_name: str) -> Lowering | None:
    _load_builtin()
    return REGISTRY.get(cls_name)


def _load_builtin() -> None:
    # Importing the layer modules runs their @register decorators.
    from cnn2sheet.lowering import layers  # noqa: F401


def layers_markdown() -> str:
    """The built-in lowerings as a Markdown table: Keras class, what of it is supported.

    A user's register_layer() lowerings are left out, so the table reads the same in any process.
    """
    rows = [lw for lw in supported_layers() if lw.builtin]
    lines = ["| Keras class | Supported options |", "| --- | --- |"]
    for lowering in rows:
        options = lowering.options.replace("|", "\\|") or "—"
        lines.append(f"| `{lowering.cls}` | {options} |")
    return "\n".join(lines) + "\n"
