"""Load a Keras model from a file, with Keras's safe mode on."""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path

from cnn2sheet.errors import ModelLoadError

log = logging.getLogger(__name__)

SUFFIXES = (".keras", ".h5", ".hdf5")


def load_model(source):
    """A ``keras.Model`` from ``source``: a model object (returned as is) or a file path."""
    if not isinstance(source, str | os.PathLike):
        return _check_model(source, repr(source))

    path = Path(source)
    if not path.exists():
        raise ModelLoadError(f"model file '{path}' does not exist")
    if path.is_dir():
        raise ModelLoadError(f"model path '{path}' is a folder; give a .keras or .h5 file")
    if path.suffix.lower() not in SUFFIXES:
        raise ModelLoadError(
            f"model file '{path}' has suffix '{path.suffix}'; expected one of {', '.join(SUFFIXES)}"
        )
    if path.suffix.lower() == ".keras" and not zipfile.is_zipfile(path):
        raise ModelLoadError(f"model file '{path}' is not a valid .keras archive (not a zip file)")

    import keras  # deferred: importing TensorFlow costs seconds

    log.debug("loading %s with safe_mode=True", path)
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a corrupt or unsafe file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"cannot load model file '{path}': {reason}") from exc
    return _check_model(model, f"'{path}'")


def _check_model(model, where: str):
    import keras

    if not isinstance(model, keras.Model):
        raise ModelLoadError(f"{where} is a {type(model).__name__}, not a keras.Model")
    return model
