"""Keras's elementwise activations as expressions of one input cell, formula for formula.

Each function takes the expression ``x`` of one input cell (normally a :class:`Ref`) and the
activation's keyword arguments with Keras's defaults, and returns the expression of the output
cell. The formulas follow Keras's TensorFlow backend (``keras/src/backend/tensorflow/nn.py``) so
that a workbook agrees with ``model.predict`` to float32 rounding, and they stay finite where
Keras does: no EXP can overflow, softplus keeps its precision for large ``|x|``.

Several formulas read ``x`` more than once (ELU's ``IF(x>0,x,EXP(x)-1)``); pass a cell reference,
not a long expression, or the spreadsheet evaluates that expression again for every use.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from cnn2sheet.ir import Binary, Const, Expr, Func, Neg, Ref
from cnn2sheet.ir.program import ZERO

# The largest argument EXP takes in every target: e^709 ≈ 8.2e307 < 1.8e308, the largest double.
# Capping EXP's argument there keeps 1/(1+EXP(-x)) a number (≈ 1e-308) where x < -709.
EXP_CAP = 709.0

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
GELU_TANH_SCALE = math.sqrt(2.0 / math.pi)  # the tanh approximation's √(2/π)


def cell(cell_id: int) -> Expr:
    """The expression reading one cell of a tensor view (padding reads as 0)."""
    return Const(0.0) if cell_id == ZERO else Ref(int(cell_id))


def num(value: float) -> Const:
    """A constant in a formula."""
    return Const(float(value))


def add(a: Expr, b: Expr) -> Expr:
    """a + b"""
    return Binary("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    """a − b"""
    return Binary("-", a, b)


def mul(a: Expr, b: Expr) -> Expr:
    """a · b"""
    return Binary("*", a, b)


def div(a: Expr, b: Expr) -> Expr:
    """a / b"""
    return Binary("/", a, b)


def call(name: str, *args: Expr) -> Func:
    """The spreadsheet function ``name`` applied to ``args``."""
    return Func(name, args)


def when(condition: Expr, then: Expr, otherwise: Expr) -> Func:
    """IF(condition, then, otherwise)."""
    return Func("IF", (condition, then, otherwise))


def relu(x: Expr, negative_slope=0.0, max_value=None, threshold=0.0) -> Expr:
    """Keras's relu with its three options, step by step as ``ReLU.static_call`` takes them."""
    if negative_slope != 0 and max_value is None and threshold == 0:
        return leaky_relu(x, negative_slope)
    if threshold != 0:
        out: Expr = when(Binary(">", x, num(threshold)), x, num(0))
    else:
        out = call("MAX", num(0), x)
    if max_value is not None:
        inner = out if threshold == 0 else call("MAX", out, num(0))
        out = call("MIN", inner, num(max_value))
    if negative_slope != 0:
        below = sub(num(threshold), x) if threshold != 0 else Neg(x)
        out = sub(out, mul(num(negative_slope), call("MAX", below, num(0))))
    return out


def leaky_relu(x: Expr, negative_slope=0.2) -> Expr:
    """IF(x>0, x, slope·x)."""
    return when(Binary(">", x, num(0)), x, mul(num(negative_slope), x))


def relu6(x: Expr) -> Expr:
    """MIN(MAX(0, x), 6)."""
    return call("MIN", call("MAX", num(0), x), num(6))


def sigmoid(x: Expr) -> Expr:
    """1/(1+e^-x), with e's argument capped so the formula never overflows."""
    return div(num(1), add(num(1), call("EXP", call("MIN", Neg(x), num(EXP_CAP)))))


def tanh(x: Expr) -> Expr:
    """TANH(x)."""
    return call("TANH", x)


def exponential(x: Expr) -> Expr:
    """EXP(x) (it overflows where Keras's float32 does, sooner: at x > 709)."""
    return call("EXP", x)


def linear(x: Expr) -> Expr:
    """x itself."""
    return x


def _expm1(x: Expr) -> Expr:
    return sub(call("EXP", x), num(1))


def elu(x: Expr, alpha=1.0) -> Expr:
    """IF(x>0, x, α·(EXP(x)−1))."""
    negative = _expm1(x) if alpha == 1 else mul(num(alpha), _expm1(x))
    return when(Binary(">", x, num(0)), x, negative)


def selu(x: Expr) -> Expr:
    """scale·IF(x>0, x, α·(EXP(x)−1)) with Keras's fixed α and scale."""
    negative = mul(num(SELU_ALPHA), _expm1(x))
    return mul(num(SELU_SCALE), when(Binary(">", x, num(0)), x, negative))


def celu(x: Expr, alpha=1.0) -> Expr:
    """MAX(x,0) + α·(EXP(MIN(x,0)/α)−1)."""
    below = call("MIN", x, num(0))
    if alpha != 1:
        below = div(below, num(alpha))
    tail = _expm1(below) if alpha == 1 else mul(num(alpha), _expm1(below))
    return add(call("MAX", x, num(0)), tail)


def gelu(x: Expr, approximate=False) -> Expr:
    """x·Φ(x) exactly through ERF, or the tanh approximation when ``approximate``."""
    if approximate:
        cubic = add(x, mul(num(0.044715), Binary("^", x, num(3))))
        inner = call("TANH", mul(num(GELU_TANH_SCALE), cubic))
    else:
        inner = call("ERF", div(x, call("SQRT", num(2))))
    return mul(mul(num(0.5), x), add(num(1), inner))


def softplus(x: Expr) -> Expr:
    """log(1+e^x) as max(x,0) + log(1+e^-|x|): no overflow, and exact to the ulp for large x."""
    return add(call("MAX", x, num(0)), _log1p_exp_neg_abs(x))


def _log1p_exp_neg_abs(x: Expr) -> Expr:
    return call("LN", add(num(1), call("EXP", Neg(call("ABS", x)))))


def log_sigmoid(x: Expr) -> Expr:
    """log(sigmoid(x)) = −softplus(−x), in the same stable form."""
    return sub(call("MIN", x, num(0)), _log1p_exp_neg_abs(x))


def softsign(x: Expr) -> Expr:
    """x/(|x|+1)."""
    return div(x, add(call("ABS", x), num(1)))


def silu(x: Expr) -> Expr:
    """x·sigmoid(x) (also called swish)."""
    return div(x, add(num(1), call("EXP", call("MIN", Neg(x), num(EXP_CAP)))))


def hard_sigmoid(x: Expr) -> Expr:
    """relu6(x+3)/6, Keras 3's definition."""
    return div(relu6(add(x, num(3))), num(6))


def hard_silu(x: Expr) -> Expr:
    """x·hard_sigmoid(x) (also called hard_swish)."""
    return mul(x, hard_sigmoid(x))


def hard_tanh(x: Expr) -> Expr:
    """x clipped to [−1, 1]."""
    return call("MAX", num(-1), call("MIN", num(1), x))


def hard_shrink(x: Expr, threshold=0.5) -> Expr:
    """x where |x| > threshold, else 0."""
    return when(Binary(">", call("ABS", x), num(threshold)), x, num(0))


def soft_shrink(x: Expr, threshold=0.5) -> Expr:
    """x moved toward 0 by threshold, 0 within ±threshold."""
    t = num(threshold)
    inner = when(Binary("<", x, num(-threshold)), add(x, t), num(0))
    return when(Binary(">", x, t), sub(x, t), inner)


def sparse_plus(x: Expr) -> Expr:
    """0 below −1, (x+1)²/4 up to 1, x above."""
    square = mul(num(0.25), Binary("^", add(x, num(1)), num(2)))
    return when(Binary("<=", x, num(-1)), num(0), when(Binary("<", x, num(1)), square, x))


def sparse_sigmoid(x: Expr) -> Expr:
    """(x+1)/2 clipped to [0, 1]."""
    middle = mul(num(0.5), add(x, num(1)))
    return when(Binary("<=", x, num(-1)), num(0), when(Binary(">=", x, num(1)), num(1), middle))


def squareplus(x: Expr, b=4) -> Expr:
    """(x + √(x² + b))/2."""
    return div(add(x, call("SQRT", add(Binary("^", x, num(2)), num(b)))), num(2))


def tanh_shrink(x: Expr) -> Expr:
    """x − TANH(x)."""
    return sub(x, call("TANH", x))


def mish(x: Expr) -> Expr:
    """x·TANH(softplus(x))."""
    return mul(x, call("TANH", softplus(x)))


def threshold(x: Expr, threshold, default_value) -> Expr:
    """x where x > threshold, else default_value (keras.ops.threshold; no defaults)."""
    return when(Binary(">", x, num(threshold)), x, num(default_value))


ELEMENTWISE: dict[str, Callable[..., Expr]] = {
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "exponential": exponential,
    "elu": elu,
    "selu": selu,
    "celu": celu,
    "gelu": gelu,
    "softplus": softplus,
    "softsign": softsign,
    "log_sigmoid": log_sigmoid,
    "silu": silu,
    "swish": silu,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_silu,
    "hard_tanh": hard_tanh,
    "hard_shrink": hard_shrink,
    "soft_shrink": soft_shrink,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "squareplus": squareplus,
    "tanh_shrink": tanh_shrink,
    "mish": mish,
    "threshold": threshold,
}
"""Activations that act on each cell alone: name → ``fn(x, **options)`` with Keras's defaults."""
