"""Samples for a model's inputs: from .npy / .npz files or arrays, one or a batch."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from cnn2sheet.errors import SampleError


def load_samples(source, inputs: list[tuple[str, tuple[int, ...]]]) -> list[np.ndarray]:
    """One float64 array per model input, each with a leading batch axis.

    ``source`` is a path to ``.npy`` (one input) or ``.npz`` (keyed by input-layer name, or
    ``x`` for a model with one input), an array, a list of arrays in input order, or a dict
    keyed by input-layer name. A sample may come with or without the batch axis.
    """
    if isinstance(source, str | os.PathLike):
        source = _read_file(Path(source), inputs)
    if isinstance(source, dict):
        missing = [name for name, _ in inputs if name not in source]
        if missing:
            raise SampleError(
                f"samples lack input(s) {', '.join(map(repr, missing))}; "
                f"given: {', '.join(map(repr, source))}"
            )
        source = [source[name] for name, _ in inputs]
    elif not isinstance(source, list | tuple):
        source = [source]
    if len(source) != len(inputs):
        raise SampleError(
            f"the model has {len(inputs)} inputs "
            f"({', '.join(n for n, _ in inputs)}), got {len(source)} sample arrays"
        )

    batches = [
        _batch(name, shape, np.asarray(a)) for (name, shape), a in zip(inputs, source, strict=True)
    ]
    sizes = {b.shape[0] for b in batches}
    if len(sizes) > 1:
        raise SampleError(f"inputs have different numbers of samples: {sorted(sizes)}")
    return batches


def _read_file(path: Path, inputs) -> object:
    if not path.exists():
        raise SampleError(f"sample file '{path}' does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            if len(inputs) == 1 and len(arrays) == 1:
                return list(arrays.values())
            if len(inputs) == 1 and inputs[0][0] not in arrays and "x" in arrays:
                return [arrays["x"]]  # Keras's name for inputs: an .npz of x (and labels y)
            return arrays
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise SampleError(f"cannot read sample file '{path}': {exc}") from exc
    raise SampleError(
        f"sample file '{path}' must be .npy (one input) or .npz (keyed by input-layer name)"
    )


def _batch(name: str, shape: tuple[int, ...], array: np.ndarray) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        raise SampleError(f"sample for input '{name}' has dtype {array.dtype}; numbers needed")
    if tuple(array.shape) == tuple(shape):
        array = array[None]
    if tuple(array.shape[1:]) != tuple(shape):
        raise SampleError(
            f"sample for input '{name}' has shape {array.shape}; the model "
            f"expects {tuple(shape)} or (batch, {', '.join(map(str, shape))})"
        )
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise SampleError(f"sample for input '{name}' holds NaN or infinite values")
    return array
