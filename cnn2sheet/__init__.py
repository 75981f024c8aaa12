"""cnn2sheet: compile a Keras model into a spreadsheet of plain formulas, and prove it."""

from cnn2sheet.compiler import CompileResult, compile_model
from cnn2sheet.errors import Cnn2SheetError
from cnn2sheet.lowering.custom import register_layer
from cnn2sheet.verify.check import verify
from cnn2sheet.verify.report import VerifyReport

__all__ = [
    "Cnn2SheetError", "CompileResult", "VerifyReport", "compile_model", "register_layer", "verify",
]  # fmt: skip
__version__ = "0.1.0"
