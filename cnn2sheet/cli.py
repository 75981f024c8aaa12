"""The ``cnn2sheet`` command line: it owns the terminal; the library only logs."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys

from cnn2sheet.errors import Cnn2SheetError, OptionError
from cnn2sheet.layout.plan import LAYOUTS
from cnn2sheet.targets import TARGETS
from cnn2sheet.verify.engines import ENGINES
from cnn2sheet.verify.report import DEFAULT_ATOL, DEFAULT_RTOL, TOLERANCE_RULE

log = logging.getLogger("cnn2sheet")

ENGINE_CHOICES = (*ENGINES, "all")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 verification failed, 2 error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return args.run(args)
    except Cnn2SheetError as exc:
        print(f"cnn2sheet: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cnn2sheet: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnn2sheet",
        description="Compile a Keras model into a spreadsheet of plain formulas, and prove "
        "that the workbook computes what the model computes.",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="show progress (-v) and what every pass did (-vv)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    compile_ = commands.add_parser(
        "compile",
        help="compile a model into an .xlsx workbook",
        description="Compile a Keras model (.keras or .h5) into one .xlsx workbook.",
    )
    compile_.add_argument("model", help="the Keras model file (.keras or .h5)")
    compile_.add_argument("-o", "--output", required=True, help="the workbook to write (.xlsx)")
    compile_.add_argument(
        "--input",
        metavar="SAMPLE",
        help="sample for the input cells: .npy (one input) or .npz keyed by "
        "input-layer name; default: zeros",
    )
    compile_.add_argument(
        "--target",
        choices=sorted(TARGETS),
        default="excel",
        help="spreadsheet program to write for (default: excel)",
    )
    compile_.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="readable",
        help="readable: every layer visible, one grid per channel (default); compact: fewest "
        "formula cells and characters, for proofs in CI and large models",
    )
    compile_.add_argument(
        "--formula",
        metavar="NAME=EXPR",
        action="append",
        type=_formula_option,
        default=[],
        help="compile layer NAME as the formula EXPR of each input value x, in spreadsheet "
        "syntax (e.g. --formula scale_up='2*x+1'; -x^2 is (-x)^2); for layers the compiler "
        "has no lowering for; repeatable",
    )
    compile_.add_argument(
        "--labels",
        metavar="FILE",
        help="class labels, one per line, shown with the predicted class",
    )
    compile_.add_argument(
        "--no-check",
        action="store_true",
        help="leave out the Check sheet (by default the workbook compares its live outputs "
        "with Keras's for the sample it holds and shows PASS or FAIL)",
    )
    compile_.set_defaults(run=_compile)

    verify = commands.add_parser(
        "verify",
        help="evaluate a workbook and compare it with the model",
        description="Evaluate the workbook in a spreadsheet engine and compare its outputs, "
        "and the cells of every layer, with the model's; a mismatch names the first layer "
        f"that diverges. A cell passes when {TOLERANCE_RULE} (defaults rtol={DEFAULT_RTOL:g}, "
        f"atol={DEFAULT_ATOL:g}). Exit status: 0 within tolerance, 1 outside it, 2 on an "
        "error (with --engine all: 1 if any engine failed, else 2 if one is not installed).",
    )
    verify.add_argument("model", help="the Keras model file (.keras or .h5)")
    verify.add_argument("workbook", help="the compiled workbook (.xlsx)")
    verify.add_argument(
        "--input",
        metavar="SAMPLE",
        help="sample(s) to verify: .npy or .npz, one sample or a batch (leading batch axis; "
        "an .npz keyed by input-layer name, or 'x' for a one-input model); every sample is "
        "checked in one loaded workbook; default: the sample stored in the workbook",
    )
    verify.add_argument(
        "--engine",
        choices=ENGINE_CHOICES,
        default="formulas",
        help="spreadsheet engine that evaluates the workbook, or all of them one after the "
        "other (default: formulas)",
    )
    verify.add_argument(
        "--rtol",
        type=float,
        default=DEFAULT_RTOL,
        help=f"relative tolerance: a cell passes when {TOLERANCE_RULE} (default: {DEFAULT_RTOL:g})",
    )
    verify.add_argument(
        "--atol",
        type=float,
        default=DEFAULT_ATOL,
        help=f"absolute tolerance, see --rtol (default: {DEFAULT_ATOL:g})",
    )
    verify.add_argument(
        "--outputs-only",
        action="store_true",
        help="compare only the model outputs, not every layer's cells",
    )
    verify.add_argument(
        "--json", action="store_true", help="print the report as JSON, per layer and per output"
    )
    verify.set_defaults(run=_verify)

    inspect = commands.add_parser(
        "inspect",
        help="show a model's layers and what its workbook needs",
        description="List the model's layers with their output shapes, weights and the cells "
        "they need, with totals against the target's limits. Writes nothing.",
    )
    inspect.add_argument("model", help="the Keras model file (.keras or .h5)")
    inspect.add_argument(
        "--target",
        choices=sorted(TARGETS),
        default="excel",
        help="spreadsheet program to budget for (default: excel)",
    )
    inspect.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="readable",
        help="layout to place the cells with (default: readable)",
    )
    inspect.set_defaults(run=_inspect)

    lint = commands.add_parser(
        "lint",
        help="check a workbook's formulas against a target's functions and limits",
        description="Parse every formula of an .xlsx (any workbook, not only compiled ones) and "
        "check its functions, the target's limits and the portable subset. Prints one line per "
        "finding, then a summary. Exit status: 0 without errors (warnings allowed), 1 with "
        "errors, 2 when the workbook cannot be read.",
    )
    lint.add_argument("workbook", help="the workbook to check (.xlsx)")
    lint.add_argument(
        "--target",
        choices=sorted(TARGETS),
        default="excel",
        help="spreadsheet program to check for (default: excel)",
    )
    lint.set_defaults(run=_lint)
    return parser


def _compile(args) -> int:
    from cnn2sheet.compiler import compile_model

    with _progress_bar(lambda stage: f"{stage} cells") as progress:
        result = compile_model(
            args.model,
            args.output,
            sample=args.input,
            target=args.target,
            layout=args.layout,
            formulas=_formulas(args.formula),
            check=not args.no_check,
            labels=args.labels,
            progress=progress,
        )
    print(
        f"wrote {result.path.resolve()} for {result.target}: "
        f"{result.formula_cells:,} formula cells, {result.constant_cells:,} constant cells "
        f"on {result.sheets} sheet(s) in {result.seconds:.1f} s"
    )
    return 0


def _formula_option(text: str) -> tuple[str, str]:
    """``NAME=EXPR`` → (NAME, EXPR); the first ``=`` splits, as EXPR may compare with ``=``."""
    name, equals, expr = text.partition("=")
    if not equals or not name.strip() or not expr.strip():
        raise argparse.ArgumentTypeError(
            f"expected NAME=EXPR, such as scale_up=2*x+1; got {text!r}"
        )
    return name.strip(), expr.strip()


def _formulas(pairs: list[tuple[str, str]]) -> dict[str, str]:
    formulas: dict[str, str] = {}
    for name, expr in pairs:
        if name in formulas:
            raise OptionError(f"--formula is given twice for layer '{name}'")
        formulas[name] = expr
    return formulas


def _verify(args) -> int:
    from cnn2sheet.verify.check import verify_engines
    from cnn2sheet.verify.engines import EngineUnavailable, require

    if args.engine != "all":
        require(args.engine)  # before loading the model: say how to install it, exit 2
    engines, missing = [], {}
    for engine in ENGINES if args.engine == "all" else [args.engine]:
        try:
            require(engine)
            engines.append(engine)
        except EngineUnavailable as exc:
            missing[engine] = str(exc)
            print(f"cnn2sheet: engine {engine} is not available: {exc}", file=sys.stderr)

    with _progress_bar(lambda engine: f"verifying with {engine}") as progress:
        reports = verify_engines(
            args.model,
            args.workbook,
            engines,
            sample=args.input,
            rtol=args.rtol,
            atol=args.atol,
            layers=not args.outputs_only,
            progress=progress,
        )
    passed = all(r.passed for r in reports)
    if args.json:
        data = (
            reports[0].to_dict()
            if args.engine != "all"
            else {
                "passed": passed and not missing,
                "reports": [r.to_dict() for r in reports],
                "unavailable": missing,
            }
        )
        print(json.dumps(data, indent=2))
    else:
        print("\n\n".join(r.to_text() for r in reports))
        if args.engine == "all":
            verdicts = ", ".join(f"{r.engine} {'PASS' if r.passed else 'FAIL'}" for r in reports)
            gaps = f"; not installed: {', '.join(missing)}" if missing else ""
            print(f"\nengines: {verdicts or 'none ran'}{gaps}")
    return 1 if not passed else 2 if missing else 0


@contextlib.contextmanager
def _progress_bar(describe=lambda stage: stage):
    """A rich progress bar per stage on stderr, when stderr is a terminal; yields the callback."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(describe(stage), total=total)
            bar.update(tasks[stage], completed=done)

        yield update


def _inspect(args) -> int:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from cnn2sheet.compiler import LayerPlan, inspect_model, plan_model
    from cnn2sheet.frontend import load_model

    model = load_model(args.model)  # once: both the estimate and the dry run read it
    budget = inspect_model(model, target=args.target)
    plans = plan_model(model, target=args.target, layout=args.layout) or {}
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # piped: no wrapping at an imaginary 80 columns
    # Plain text when piped: no box drawing for another program to parse around.
    table = Table(
        title=f"{args.model} for {budget.target.name}",
        box=box.SIMPLE_HEAD if console.is_terminal else None,
    )
    numbers = ("weights", "cells", "formulas")
    for column in ("layer", "class", "output shape", *numbers, "in the workbook"):
        table.add_column(column, justify="right" if column in numbers else "left")
    for row in budget.layers:
        shape = "×".join(map(str, row.shape)) or "scalar"
        if plans:
            plan = plans.get(row.name, LayerPlan(0, 0, ""))
            cells, formulas = f"{plan.cells:,}", f"{plan.formulas:,}"
            where = plan.where.replace("$", "") if plan.cells else "no cells (references only)"
        else:  # too large to lower quickly: the estimate only
            cells, formulas, where = f"≥{row.cells + row.params:,}", "?", "?"
        table.add_row(row.name, row.cls, shape, f"{row.params:,}", cells, formulas, where)
    table.add_section()
    total_cells = sum(p.cells for p in plans.values()) if plans else budget.cells
    total_formulas = f"{sum(p.formulas for p in plans.values()):,}" if plans else "?"
    table.add_row("total", "", "", f"{budget.params:,}", f"{total_cells:,}", total_formulas, "")
    console.print(table)
    problems = budget.problems()
    for problem in problems:
        console.print(f"does not fit: {problem}", markup=False)
    if not problems:
        console.print(
            f"fits target '{budget.target.name}' (at least {budget.cells:,} cells)", markup=False
        )
    return 1 if problems else 0


def _lint(args) -> int:
    from cnn2sheet.lint import lint

    report = lint(args.workbook, args.target)
    print(report.to_text())
    return 0 if report.passed else 1


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("cnn2sheet").setLevel(level)
    # TensorFlow's C++ start-up chatter is noise for a command-line user.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
