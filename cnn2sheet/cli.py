"""The ``cnn2sheet`` command line: it owns the terminal; the library only logs."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from cnn2sheet.errors import Cnn2SheetError
from cnn2sheet.layout.plan import LAYOUTS
from cnn2sheet.targets import TARGETS
from cnn2sheet.verify.report import DEFAULT_ATOL, DEFAULT_RTOL, TOLERANCE_RULE

log = logging.getLogger("cnn2sheet")

ENGINE_CHOICES = ("formulas", "ironcalc", "gnumeric")


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
    compile_.set_defaults(run=_compile)

    verify = commands.add_parser(
        "verify",
        help="evaluate a workbook and compare it with the model",
        description="Evaluate the workbook in a spreadsheet engine and compare its outputs "
        f"with the model's. A cell passes when {TOLERANCE_RULE}. Exit status: 0 within "
        "tolerance, 1 outside it, 2 on an error.",
    )
    verify.add_argument("model", help="the Keras model file (.keras or .h5)")
    verify.add_argument("workbook", help="the compiled workbook (.xlsx)")
    verify.add_argument(
        "--input",
        metavar="SAMPLE",
        help="sample(s) to verify: .npy or .npz, one sample or a batch; "
        "default: the sample stored in the workbook's input cells",
    )
    verify.add_argument(
        "--engine",
        choices=ENGINE_CHOICES,
        default="formulas",
        help="spreadsheet engine that evaluates the workbook (default: formulas)",
    )
    verify.add_argument(
        "--rtol",
        type=float,
        default=DEFAULT_RTOL,
        help=f"relative tolerance (default: {DEFAULT_RTOL:g})",
    )
    verify.add_argument(
        "--atol",
        type=float,
        default=DEFAULT_ATOL,
        help=f"absolute tolerance (default: {DEFAULT_ATOL:g})",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
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
    inspect.set_defaults(run=_inspect)
    return parser


def _compile(args) -> int:
    from cnn2sheet.compiler import compile_model

    result = compile_model(
        args.model, args.output, sample=args.input, target=args.target, layout=args.layout
    )
    print(
        f"wrote {result.path} for {result.target}: {result.formula_cells:,} formula cells, "
        f"{result.constant_cells:,} constant cells on {result.sheets} sheet(s) "
        f"in {result.seconds:.1f} s"
    )
    return 0


def _verify(args) -> int:
    from cnn2sheet.verify.check import verify

    report = verify(
        args.model,
        args.workbook,
        sample=args.input,
        engine=args.engine,
        rtol=args.rtol,
        atol=args.atol,
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.to_text())
    return 0 if report.passed else 1


def _inspect(args) -> int:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from cnn2sheet.compiler import inspect_model

    budget = inspect_model(args.model, target=args.target)
    console = Console()
    # Plain text when piped: no box drawing for another program to parse around.
    table = Table(
        title=f"{args.model} for {budget.target.name}",
        box=box.SIMPLE_HEAD if console.is_terminal else None,
    )
    for column in ("layer", "class", "output shape", "weights", "new cells"):
        table.add_column(column, justify="right" if column in ("weights", "new cells") else "left")
    for row in budget.layers:
        shape = "×".join(map(str, row.shape)) or "scalar"
        table.add_row(row.name, row.cls, shape, f"{row.params:,}", f"{row.cells:,}")
    table.add_section()
    table.add_row("total", "", "", f"{budget.params:,}", f"{budget.cells:,}")
    console.print(table)
    problems = budget.problems()
    for problem in problems:
        console.print(f"does not fit: {problem}", markup=False)
    if not problems:
        console.print(
            f"fits target '{budget.target.name}' (at least {budget.cells:,} cells)", markup=False
        )
    return 1 if problems else 0


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("cnn2sheet").setLevel(level)
    # TensorFlow's C++ start-up chatter is noise for a command-line user.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
