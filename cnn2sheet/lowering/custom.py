"""Custom layers: a user's own lowering for a layer class, or a formula for a named layer.

Two ways to compile a layer the compiler does not know:

* :func:`register_layer` gives a class a lowering written against the same registry the
  built-in layers use (``fn(op, inputs, builder) -> [ids]``);
* a formula for a layer that maps each value on its own, ``formulas={"scale_up": "2*x+1"}``
  (``--formula scale_up=2*x+1`` on the command line), written in spreadsheet syntax where
  ``x`` is the input cell.
"""

from __future__ import annotations

import logging

from cnn2sheet.errors import Cnn2SheetError, OptionError
from cnn2sheet.formula import ast
from cnn2sheet.ir import Binary, Const, Expr, Func, Neg, Ref
from cnn2sheet.ir.expr import substitute
from cnn2sheet.lowering.elementwise import cell
from cnn2sheet.lowering.registry import REGISTRY, CheckFn, LowerFn, Lowering, find

log = logging.getLogger(__name__)

# Functions a formula may call, with how many arguments each takes (None: one or more).
FORMULA_FUNCTIONS = {
    "EXP": 1, "LN": 1, "SQRT": 1, "TANH": 1, "ABS": 1, "ERF": 1, "IF": 3,
    "MAX": None, "MIN": None, "SUM": None,
}  # fmt: skip
_OPERATORS = {"+", "-", "*", "/", "^", "=", "<>", "<", ">", "<=", ">="}
_VARIABLE = "X"


def register_layer(
    cls: str | type,
    lower: LowerFn,
    *,
    check: CheckFn | None = None,
    options: str = "",
    view: bool = False,
) -> None:
    """Make ``lower`` the lowering of the Keras layer class ``cls`` (a class or its name).

    ``lower(op, inputs, builder)`` gets the layer application (``op.layer`` is the layer
    object), one array of cell ids per input tensor, and a
    :class:`~cnn2sheet.lowering.builder.Builder` to add weight and formula blocks with; it
    returns one id array per output, shaped like Keras's output without the batch axis.
    ``check(op)`` returns problems with the layer's options, reported before anything is
    lowered. A registration replaces an earlier one, built-in lowerings included.
    """
    name = cls if isinstance(cls, str) else cls.__name__
    existing = find(name)  # loads the built-in lowerings first, so they cannot override this
    if existing is not None and existing.builtin:
        log.warning("register_layer: replacing the built-in lowering of %s", name)
    REGISTRY[name] = Lowering(
        name, lower, check or (lambda op: []), options or "custom lowering", view, builtin=False
    )


def formula_lowerings(formulas: dict[str, str] | None) -> dict[str, Lowering]:
    """A lowering per layer name from ``{layer name: formula text}``; raises OptionError.

    Every formula is parsed and checked here, so a typo is reported before the model is read,
    all of them at once.
    """
    lowerings: dict[str, Lowering] = {}
    problems: list[str] = []
    for layer, text in (formulas or {}).items():
        try:
            template = formula_expr(text)
        except Cnn2SheetError as exc:
            problems.append(f"formula for layer '{layer}': {exc}")
            continue
        lowerings[layer] = _formula_lowering(layer, text, template)
    if problems:
        raise OptionError("\n".join(problems))
    return lowerings


def formula_expr(text: str) -> Expr:
    """The IR expression of formula ``text``, reading ``x`` as the placeholder cell ``Ref(-2)``.

    Raises :class:`OptionError` naming what the formula may not contain.
    """
    from cnn2sheet.formula.parser import parse

    return _convert(parse(text), text)


# The cell x stands for in a formula's expression until lowering substitutes each input cell.
_X = -2


def _convert(node: ast.Node, text: str) -> Expr:
    if isinstance(node, ast.Number):
        return Const(float(node.value))
    if isinstance(node, ast.Name) and node.name.upper() == _VARIABLE:
        return Ref(_X)
    if isinstance(node, ast.Unary):
        operand = _convert(node.operand, text)
        return Neg(operand) if node.op == "-" else operand
    if isinstance(node, ast.Percent):
        return Binary("/", _convert(node.operand, text), Const(100.0))
    if isinstance(node, ast.Binary) and node.op in _OPERATORS:
        return Binary(node.op, _convert(node.left, text), _convert(node.right, text))
    if isinstance(node, ast.Call) and node.name in FORMULA_FUNCTIONS:
        arity = FORMULA_FUNCTIONS[node.name]
        if (arity is None and not node.args) or (arity is not None and len(node.args) != arity):
            wanted = "at least 1" if arity is None else str(arity)
            raise OptionError(
                f"{node.name} takes {wanted} argument(s), '{text}' gives it {len(node.args)}"
            )
        return Func(node.name, tuple(_convert(a, text) for a in node.args))
    raise OptionError(
        f"'{text}' uses {_describe(node)}; a layer formula may use x (the input value), "
        f"numbers, + - * / ^ %, comparisons and {', '.join(FORMULA_FUNCTIONS)}"
    )


def _describe(node: ast.Node) -> str:
    if isinstance(node, ast.Call):
        return f"function {node.name}"
    if isinstance(node, ast.Name):
        return f"the name '{node.name}'"
    if isinstance(node, ast.Binary):
        return f"operator {node.op}"
    if isinstance(node, ast.Cell | ast.Range):
        return "a cell reference"
    return f"a {type(node).__name__.lower()}"


def _formula_lowering(layer: str, text: str, template: Expr) -> Lowering:
    def check(op) -> list[str]:
        if len(op.inputs) != 1 or len(op.outputs) != 1:
            return [
                f"a formula maps each value on its own, so the layer must take one tensor and "
                f"return one; it takes {len(op.inputs)} and returns {len(op.outputs)}"
            ]
        if op.inputs[0].shape != op.outputs[0].shape:
            return [
                f"a formula maps each value on its own, but the layer turns shape "
                f"{op.inputs[0].shape} into {op.outputs[0].shape}"
            ]
        return []

    def lower(op, inputs, builder):
        x = inputs[0]
        exprs = (substitute(template, _X, cell(i)) for i in x.ravel())
        return [builder.compute(x.shape, exprs, title=f"{builder.title}: ={text.lstrip('=')}")]

    return Lowering(f"formula for {layer}", lower, check, f"formula {text}", builtin=False)
