"""fold_batchnorm: fold an inference BatchNormalization into the weighted sums that feed it.

Before::

    conv  =SUMPRODUCT(x, w) + b                       (w, b: conv kernel and bias)
    bn    =(conv − mean)/SQRT(var + ε)·γ + β           (mean, var, γ, β: BatchNorm weights)

After::

    bn    =SUMPRODUCT(x, w′) + b′    with  w′ = w·γ/√(var+ε),  b′ = (b − mean)·γ/√(var+ε) + β

The two are equal as real numbers, so the fold is exact up to float64 rounding. The new
weights are new weight blocks; the old ones and BatchNorm's statistics are left for
remove_dead_cells.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from cnn2sheet.ir import Binary, Block, Const, Dot, Expr, Func, Program, Ref
from cnn2sheet.passes.readers import read_counts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Norm:
    """One BatchNorm cell: the cell it normalizes and the weight cells of its channel."""

    x: int
    channel: tuple  # (mean, variance, ε, γ or None, β or None): ids and ε


def fold_batchnorm(program: Program) -> bool:
    """Fold each BatchNorm block into the weighted-sum block it reads, when that is exact.

    Folds when every cell of a block is ``(x − mean)/SQRT(var + ε)[·γ][+ β]`` over weight cells,
    every x is a cell of one block of weighted sums ``SUMPRODUCT(in, w)[+ b]`` that nothing else
    reads, and each weight and bias of that block feeds one BatchNorm channel only. Declines
    otherwise: an activation between the two, a sum whose value is also read elsewhere or is a
    model output, a weight shared by two channels.
    """
    folded = 0
    counts = read_counts(program)
    for block in list(program.compute_blocks()):
        if not block.exprs or _match(block.exprs[0]) is None:
            continue
        source = _fold_one(program, block, counts)
        if source is None:
            continue
        folded += 1
        counts = read_counts(program)
        log.debug(
            "fold_batchnorm: %s (%d cells) folded into the weights of %s",
            block.layers[-1],
            block.size,
            source,
        )
    return folded > 0


def _fold_one(program: Program, bn: Block, counts: np.ndarray) -> str | None:
    norms = [_match(expr) for expr in bn.exprs]
    if any(n is None for n in norms):
        return None
    starts, ordered = program.owner_table()

    def owner(cell: int) -> Block:
        return ordered[int(np.searchsorted(starts, cell, side="right")) - 1]

    if any(owner(c).kind != "param" for n in norms for c in _weight_cells(n.channel)):
        return None
    source = owner(norms[0].x)
    xs = np.array([n.x for n in norms])
    if source.kind != "compute" or source is bn or not _covers(source, xs, counts):
        return None
    sums = [_weighted_sum(source.exprs[x - source.start]) for x in xs]
    if any(s is None for s in sums):
        return None

    weights = _per_channel(norms, [s[1] for s in sums])
    biases = _per_channel(norms, [[] if s[2] is None else [s[2]] for s in sums])
    if weights is None or biases is None or not _only_read_by(source, weights, biases, counts):
        return None
    if any(owner(w).kind != "param" for w in list(weights) + list(biases)):
        return None

    _rewrite(program, bn, source, norms, sums, weights, biases, owner)
    return source.name


def _match(expr: Expr) -> _Norm | None:
    """The parts of ``(x − m)/SQRT(v + ε)[·γ][+ β]``, or None for any other formula."""
    gamma = beta = None
    if isinstance(expr, Binary) and expr.op == "+" and isinstance(expr.right, Ref):
        expr, beta = expr.left, expr.right.cell
    if isinstance(expr, Binary) and expr.op == "*" and isinstance(expr.right, Ref):
        expr, gamma = expr.left, expr.right.cell
    match expr:
        case Binary(
            "/",
            Binary("-", Ref(x), Ref(mean)),
            Func("SQRT", (Binary("+", Ref(variance), Const(epsilon)),)),
        ):
            return _Norm(x, (mean, variance, epsilon, gamma, beta))
    return None


def _weight_cells(channel: tuple) -> list[int]:
    mean, variance, _, gamma, beta = channel
    return [c for c in (mean, variance, gamma, beta) if c is not None]


def _covers(source: Block, xs: np.ndarray, counts: np.ndarray) -> bool:
    """Whether ``xs`` are all of ``source``'s cells, each read once (by the BatchNorm only)."""
    inside = (xs >= source.start) & (xs < source.start + source.size)
    if not inside.all() or xs.size != source.size or np.unique(xs).size != xs.size:
        return False
    return bool((counts[xs] == 1).all())


def _weighted_sum(expr: Expr):
    """(inputs, weights, bias id or None) of ``SUMPRODUCT(in, w)[+ b]``, else None."""
    match expr:
        case Dot(xs, ws):
            return xs, ws, None
        case Binary("+", Dot(xs, ws), Ref(bias)):
            return xs, ws, bias
    return None


def _per_channel(norms: list[_Norm], used: list) -> dict[int, tuple] | None:
    """Weight id → the one channel it feeds; None if some weight feeds two channels."""
    channel_of: dict[int, tuple] = {}
    for norm, ids in zip(norms, used, strict=True):
        for w in np.asarray(ids, dtype=np.int64).tolist():
            if channel_of.setdefault(w, norm.channel) != norm.channel:
                return None
    return channel_of


def _only_read_by(source: Block, weights: dict, biases: dict, counts: np.ndarray) -> bool:
    """Whether the sums of ``source`` are the only readers of their weights and biases."""
    reads: dict[int, int] = {}
    for expr in source.exprs:
        xs, ws, bias = _weighted_sum(expr)
        for w in ws.tolist() + ([] if bias is None else [bias]):
            reads[w] = reads.get(w, 0) + 1
    return all(counts[w] == n for w, n in reads.items())


def _rewrite(program, bn, source, norms, sums, weights, biases, owner) -> None:
    values = _ValueOf(owner)
    scale = {ch: _scale(ch, values) for ch in {n.channel for n in norms}}

    # New weight blocks, one per old one, each weight scaled by its channel's factor.
    new_id: dict[int, int] = {}
    for old in sorted({owner(w).name: owner(w) for w in weights}.values(), key=lambda b: b.start):
        scaled = old.values.ravel().copy()
        for w, ch in weights.items():
            if old.owns(w):
                scaled[w - old.start] *= scale[ch]
        block = program.add(
            f"{old.name} (folded)", bn.layer, "param", old.shape, role=old.role, cls=bn.cls,
            values=scaled.reshape(old.shape), title=f"{old.title} × {bn.layer} scale",
            before=bn.name,
        )  # fmt: skip
        new_id.update({old.start + k: block.start + k for k in range(old.size)})

    # One bias per channel: (b − mean)·scale + β, b = 0 where the sums had none.
    channels = list(dict.fromkeys(n.channel for n in norms))
    old_bias = {ch: values(b) for b, ch in biases.items()}
    bias_values = [_shifted(old_bias.get(ch, 0.0), ch, scale[ch], values) for ch in channels]
    bias = program.add(
        f"{bn.layer}/bias (folded)", bn.layer, "param", (len(channels),), role="bias", cls=bn.cls,
        values=np.array(bias_values), title=f"{source.layer} bias with {bn.layer} folded in",
        before=bn.name,
    )  # fmt: skip
    bias_of = {ch: bias.start + k for k, ch in enumerate(channels)}

    remap = np.vectorize(new_id.__getitem__, otypes=[np.int64])
    bn.exprs = [
        Binary("+", Dot(xs, remap(ws) if ws.size else ws), Ref(bias_of[n.channel]))
        for n, (xs, ws, _) in zip(norms, sums, strict=True)
    ]
    bn.layers = source.layers + [name for name in bn.layers if name not in source.layers]
    bn.title = f"{source.title} with {bn.title} folded in"
    program.remove(source.name)


class _ValueOf:
    """The constant held by a weight cell."""

    def __init__(self, owner):
        self.owner = owner

    def __call__(self, cell: int) -> float:
        block = self.owner(cell)
        return float(block.values.ravel()[cell - block.start])


def _shifted(bias: float, channel: tuple, scale: float, value: _ValueOf) -> float:
    """(b − mean)·scale + β for one channel (β = 0 without center)."""
    mean, _, _, _, beta = channel
    return (bias - value(mean)) * scale + (0.0 if beta is None else value(beta))


def _scale(channel: tuple, value: _ValueOf) -> float:
    """γ/√(var + ε) for one channel (γ = 1 without scale)."""
    _, variance, epsilon, gamma, _ = channel
    gain = 1.0 if gamma is None else value(gamma)
    return gain / float(np.sqrt(value(variance) + epsilon))
