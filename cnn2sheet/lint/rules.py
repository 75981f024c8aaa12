"""The checks lint runs on one formula: functions, limits and the portable subset.

Every rule has an id, and each finding a severity: ``error`` when the target program rejects
the formula or shows an error value for it, ``warning`` when the formula works in the target
but falls outside what cnn2sheet can vouch for (the portable subset of shared/ENGINES.md, or a
formula the grammar does not cover).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn2sheet.errors import FormulaSyntaxError
from cnn2sheet.formula import ast
from cnn2sheet.formula.printer import to_text
from cnn2sheet.formula.templates import TemplateParser
from cnn2sheet.targets import Target

RULES = {
    "parse": "the formula is outside the grammar cnn2sheet checks",
    "formula-length": "the formula is longer than the target allows",
    "nesting": "functions nest deeper than the target allows",
    "arguments": "a function has more arguments than the target allows",
    "unknown-function": "the target has no function of that name",
    "xlfn-prefix": "Excel needs _xlfn. (functions) or _xlpm. (LET/LAMBDA names) in the file",
    "unknown-name": "the name is not defined in the workbook",
    "array-subexpression": "a range where a single value is expected, outside an array formula",
    "not-portable": "LET, LAMBDA and their helpers are not in the portable subset",
    "sheet-size": "a sheet has more rows or columns than the target allows",
    "total-cells": "the workbook has more cells than the target allows",
}
"""Rule id → what it checks."""

# Functions that take single values: given a range in an ordinary formula, legacy Excel (and
# Excel 365 reading an ordinary .xlsx formula, through implicit intersection) gives #VALUE!,
# Google Sheets needs ARRAYFORMULA, Gnumeric and ironcalc reject it.
SCALAR_FUNCTIONS = frozenset(
    """ABS ACOS ACOSH ASIN ASINH ATAN ATAN2 ATANH CEILING CHAR CODE COS COSH DATE DAY DEGREES
    ERF ERFC EVEN EXP FACT FLOOR GAMMALN HOUR IF INT ISBLANK ISERROR ISEVEN ISNUMBER ISODD
    ISTEXT LEFT LEN LN LOG LOG10 LOWER MID MINUTE MOD MONTH MROUND N NOT ODD POWER PROPER
    QUOTIENT RADIANS RIGHT ROUND ROUNDDOWN ROUNDUP SECOND SIGN SIN SINH SQRT SQRTPI TAN TANH
    TEXT TRIM TRUNC UPPER VALUE YEAR""".split()
)
# Functions that evaluate their arguments as arrays even in an ordinary formula (Excel,
# LibreOffice and Sheets agree); Gnumeric and ironcalc still reject array sub-expressions there.
ARRAY_NATIVE = frozenset(
    "SUMPRODUCT SUMX2MY2 SUMX2PY2 SUMXMY2 MMULT MDETERM MINVERSE ARRAYFORMULA".split()
)
# Functions whose result is an array, so applying a scalar function to it is an array
# sub-expression too.
ARRAY_RESULT = frozenset(
    """TRANSPOSE MMULT MINVERSE MUNIT FREQUENCY LINEST LOGEST TREND GROWTH FILTER SORT SORTBY
    SORTN UNIQUE SEQUENCE RANDARRAY HSTACK VSTACK TOCOL TOROW CHOOSECOLS CHOOSEROWS TAKE DROP
    EXPAND WRAPROWS WRAPCOLS MAKEARRAY MAP SCAN BYROW BYCOL TEXTSPLIT SPLIT FLATTEN
    ARRAY_CONSTRAIN ARRAYFORMULA""".split()
)
NOT_PORTABLE = frozenset("LET LAMBDA MAP REDUCE SCAN MAKEARRAY BYROW BYCOL ISOMITTED".split())

_FILE_PREFIXES = ("_xlfn.", "_xlws.")  # how an .xlsx spells newer functions
_PARAMETER = "_xlpm."  # how an .xlsx spells a LET/LAMBDA name
_SHOWN = 60  # characters of offending text a finding quotes


@dataclass(frozen=True)
class Problem:
    """One rule broken by one formula, before lint knows the cell."""

    rule: str
    severity: str
    message: str
    text: str


def shorten(text: str, limit: int = _SHOWN) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis when cut."""
    text = " ".join(text.split()) if any(c in text for c in "\n\r\t") else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FormulaLinter:
    """Checks the formulas of one workbook for one target.

    Formulas of one shape (:mod:`cnn2sheet.formula.templates`) break the same rules, unless
    their ranges differ in covering one cell or several: once a shape with given ranges passes,
    every formula of that shape and those ranges passes without being parsed.
    """

    def __init__(self, target: Target, capacity: int = 100_000):
        self.target = target
        self.parser = TemplateParser()
        self.capacity = capacity
        self.clean: set[tuple] = set()
        # Each names table seen, held so its id stays its own: id → (table, scope number).
        self.scopes: dict[int, tuple[dict[str, bool], int]] = {}

    def check(
        self, formula: str, names: dict[str, bool], array_formula: bool = False
    ) -> list[Problem]:
        """Every rule ``formula`` (text with its ``=``) breaks.

        ``names`` maps each defined name (lower case) to whether it covers more than one cell;
        ``array_formula`` says the cell holds a CSE/array formula, where ranges meet operators.
        """
        body = formula[1:] if formula.startswith("=") else formula
        problems = self._length(body)
        cut = self.parser.split(body)
        memo = None
        if cut is not None and self.parser.template(*cut) is not None:
            shape, slots = cut
            spans = tuple(isinstance(s, ast.Range) and s.start != s.end for s in slots)
            memo = (shape, spans, self._scope(names), array_formula)
            if memo in self.clean:
                return problems

        try:
            tree = self.parser.parse(body)
        except FormulaSyntaxError as exc:
            column = exc.position + 1 + len(formula) - len(body)  # counted with the "="
            reason = f"not checked: {exc.reason} at column {column}"
            return [*problems, Problem("parse", "warning", reason, shorten(body))]
        checker = _Checker(self.target, names, array_formula)
        checker.run(tree)
        if checker.depth > self.target.max_nesting:
            message = (
                f"functions nest {checker.depth} deep; "
                f"{self.target.name} allows {self.target.max_nesting}"
            )
            checker.problems.insert(0, Problem("nesting", "error", message, shorten(body)))

        if not checker.problems and memo is not None:
            if len(self.clean) >= self.capacity:
                self.clean.clear()
            self.clean.add(memo)
        return problems + checker.problems

    def _scope(self, names: dict[str, bool]) -> int:
        if id(names) not in self.scopes:
            self.scopes[id(names)] = (names, len(self.scopes))
        return self.scopes[id(names)][1]

    def _length(self, body: str) -> list[Problem]:
        limit = self.target.program_max_formula_chars or self.target.max_formula_chars
        if len(body) <= limit:
            return []
        message = f"{len(body):,} characters; {self.target.name} allows {limit:,}"
        return [Problem("formula-length", "error", message, shorten(body))]


def function_base(name: str) -> tuple[str, bool]:
    """A function name without the file prefixes, and whether it had ``_xlfn.``."""
    prefixed = False
    while name.startswith(_FILE_PREFIXES):
        prefixed = True
        name = name.split(".", 1)[1]
    return name, prefixed


class _Checker:
    """Walks one formula tree once, collecting problems and the nesting depth."""

    def __init__(self, target: Target, names: dict[str, bool], array_formula: bool):
        self.target = target
        self.names = names
        self.array_formula = array_formula
        self.problems: list[Problem] = []
        self.depth = 0
        self.bound: set[str] = set()  # names a LET or LAMBDA in this formula binds
        self.array_reported = False

    def run(self, root: ast.Node) -> None:
        """Check every node of ``root``, operands before their operator, without recursion.

        A formula can chain thousands of operators (a 50,000-character sum) deeper than
        Python's recursion limit, so the walk keeps its own stack.
        """
        spans: list[bool] = []  # per checked node: does it evaluate to more than one cell?
        stack: list[tuple[ast.Node, str | None, int, bool]] = [(root, None, 0, False)]
        while stack:
            node, context, level, operands_done = stack.pop()
            if operands_done:
                count = len(ast.operands(node, arrays=False))
                arrays = spans[len(spans) - count :]
                del spans[len(spans) - count :]
                spans.append(self._finish(node, arrays, context))
                continue
            operands = ast.operands(node, arrays=False)
            if operands is None:
                spans.append(self._leaf(node))
                continue
            inner, below = context, level
            if isinstance(node, ast.Call):
                inner, below = self._enter(node, context, level), level + 1
            stack.append((node, context, level, True))
            stack.extend((operand, inner, below, False) for operand in reversed(operands))

    def _leaf(self, node: ast.Node) -> bool:
        if isinstance(node, ast.Range):
            return node.start != node.end
        if isinstance(node, ast.Span | ast.Array):
            return True
        if isinstance(node, ast.Name):
            return self._name(node)
        return False

    def _enter(self, node: ast.Call, context: str | None, level: int) -> str | None:
        """Check a call before its arguments; returns the context its arguments are in."""
        self.depth = max(self.depth, level + 1)
        base, prefixed = function_base(node.name)
        self._function(node, base, prefixed)
        if base in ("LET", "LAMBDA"):
            self._bind(node, base)
        return base if base in ARRAY_NATIVE else context

    def _finish(self, node: ast.Node, arrays: list[bool], context: str | None) -> bool:
        """Check a node once its operands are checked; True when it spans several cells."""
        if isinstance(node, ast.Call):
            base, _ = function_base(node.name)
            if base not in SCALAR_FUNCTIONS:
                return base in ARRAY_RESULT
            # IF picks between values: only its condition must be a single value.
            if any(arrays[:1] if base == "IF" else arrays):
                self._array(node, f"{base} of a range", context)
            return any(arrays)
        op = node.op if isinstance(node, ast.Binary | ast.Unary) else "%"
        if any(arrays):
            self._array(node, f"'{op}' applied to a range", context)
        return any(arrays)

    def _function(self, node: ast.Call, base: str, prefixed: bool) -> None:
        shown = _Shown(node)
        if len(node.args) > self.target.max_args:
            message = (
                f"{base} has {len(node.args)} arguments; "
                f"{self.target.name} allows {self.target.max_args}"
            )
            self._add("arguments", "error", message, shown)
        if base.lower() in self.names:
            return  # a name defined as a LAMBDA, called like a function
        if node.name.startswith("_xludf."):
            message = f"{base} is a user-defined (add-in or VBA) function"
            self._add("unknown-function", "error", message, shown)
        elif base not in self.target.known_functions:
            message = f"{self.target.name} has no function {base}"
            self._add("unknown-function", "error", message, shown)
        elif base in self.target.prefixed_functions and not prefixed:
            message = f"write _xlfn.{base} in the file, or Excel shows #NAME?"
            self._add("xlfn-prefix", "error", message, shown)
        if base in NOT_PORTABLE:
            message = f"{base} is outside the portable subset (LibreOffice 7.4, Gnumeric lack it)"
            self._add("not-portable", "warning", message, shown)

    def _bind(self, node: ast.Call, base: str) -> None:
        """Record the names LET (every other argument) or LAMBDA (all but the last) binds."""
        args = node.args[:-1]
        params = args[::2] if base == "LET" else args
        for param in params:
            if not isinstance(param, ast.Name):
                continue
            self.bound.add(_key(param.name))
            if self.target.prefixed_functions and not param.name.startswith(_PARAMETER):
                message = f"write {base}'s name {param.name} as {_PARAMETER}{param.name}"
                self._add("xlfn-prefix", "error", message, _Shown(node))

    def _name(self, node: ast.Name) -> bool:
        key = _key(node.name)
        if key in self.bound:
            return False
        if node.name.lower() in self.names:
            return self.names[node.name.lower()]
        self._add("unknown-name", "error", f"{node.name} is not defined", node.name)
        return False

    def _array(self, node: ast.Node, what: str, context: str | None) -> None:
        # One finding per formula: the innermost construct, which is reported first.
        if self.array_formula or self.array_reported:
            return
        self.array_reported = True
        shown = _Shown(node)
        if context is not None:
            message = f"{what} inside {context}: Gnumeric and ironcalc reject it"
            self._add("array-subexpression", "warning", message, shown)
        else:
            message = (
                f"{what} in an ordinary formula: Excel reads one cell of it or #VALUE!, "
                "Sheets needs ARRAYFORMULA; use helper cells"
            )
            self._add("array-subexpression", "error", message, shown)

    def _add(self, rule: str, severity: str, message: str, text) -> None:
        self.problems.append(Problem(rule, severity, message, str(text)))


class _Shown:
    """A node's shortened text, printed only if a finding quotes it (most calls are fine)."""

    def __init__(self, node: ast.Node):
        self.node = node

    def __str__(self) -> str:
        try:
            return shorten(to_text(self.node))
        except RecursionError:  # the printer recurses; a call holding a huge chain is cut short
            return shorten(getattr(self.node, "name", "") + "(…)")


def _key(name: str) -> str:
    """How LET/LAMBDA names compare: case-insensitive, with or without ``_xlpm.``."""
    name = name.lower()
    return name[len(_PARAMETER) :] if name.startswith(_PARAMETER) else name
