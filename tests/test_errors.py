"""Bad input: one clear message naming the culprit, exit status 2, nothing half-written."""

from __future__ import annotations

import zipfile

import keras
import numpy as np
import pytest
from keras import layers
from support import FIXTURES

from cnn2sheet import compile_model
from cnn2sheet.cli import main
from cnn2sheet.errors import (
    ModelLoadError,
    OptionError,
    SampleError,
    UnsupportedModelError,
    WorkbookError,
)

DIGITS = FIXTURES / "digits_cnn.keras"


def _cli(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def test_missing_model_file(capsys, tmp_path):
    status, _, err = _cli(
        capsys, "compile", str(tmp_path / "nope.keras"), "-o", str(tmp_path / "out.xlsx")
    )

    assert status == 2
    assert err.strip() == f"cnn2sheet: error: model file '{tmp_path / 'nope.keras'}' does not exist"
    assert not (tmp_path / "out.xlsx").exists()


def test_corrupt_keras_file_is_named(capsys, tmp_path):
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"this is not a zip archive")

    status, _, err = _cli(capsys, "compile", str(bad), "-o", str(tmp_path / "out.xlsx"))

    assert status == 2
    assert f"'{bad}' is not a valid .keras archive" in err


def test_zip_that_is_not_a_model_is_named(tmp_path):
    bad = tmp_path / "empty.keras"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("hello.txt", "hi")

    with pytest.raises(ModelLoadError, match=r"cannot load model file '.*empty\.keras'"):
        compile_model(bad, tmp_path / "out.xlsx")


def test_wrong_suffix(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"x")

    with pytest.raises(ModelLoadError, match=r"suffix '\.onnx'; expected one of \.keras"):
        compile_model(path, tmp_path / "out.xlsx")


def test_every_unsupported_layer_is_listed_at_once(capsys, tmp_path):
    inputs = keras.Input((4, 4, 1), name="image")
    x = layers.Discretization(bin_boundaries=[0.0], name="bins")(inputs)
    x = layers.Flatten()(x)
    x = layers.Lambda(lambda t: t * 2, name="double")(x)
    model = keras.Model(inputs, x)
    path = tmp_path / "model.xlsx"

    with pytest.raises(UnsupportedModelError) as info:
        compile_model(model, path)

    message = str(info.value)
    assert "(2 problems)" in message
    assert "layer 'bins' (Discretization): this layer class is not supported" in message
    assert "layer 'double' (Lambda): this layer class is not supported" in message
    assert not path.exists()


def test_unsupported_option_names_the_value():
    inputs = keras.Input((5, 5, 1), name="x")
    model = keras.Model(inputs, layers.Dense(2, activation=_custom_activation, name="fc")(inputs))

    with pytest.raises(
        UnsupportedModelError,
        match=r"layer 'fc' \(Dense\): activation '.*_custom_activation.*' is not "
        r"supported",
    ):
        compile_model(model, "unused.xlsx")


def _custom_activation(x):
    return x * 3


def test_unknown_dimension_beyond_batch_is_refused():
    inputs = keras.Input((None, 3), name="seq")
    model = keras.Model(inputs, layers.Dense(2, name="fc")(inputs))

    with pytest.raises(UnsupportedModelError, match=r"unknown dimension beyond the batch axis"):
        compile_model(model, "unused.xlsx")


def test_subclassed_model_is_refused():
    class Tiny(keras.Model):
        def call(self, x):
            return x * 2

    with pytest.raises(UnsupportedModelError, match=r"subclassed models cannot be read"):
        compile_model(Tiny(), "unused.xlsx")


def test_sample_of_the_wrong_shape(capsys, tmp_path):
    sample = tmp_path / "sample.npy"
    np.save(sample, np.zeros((7, 7, 1)))

    status, _, err = _cli(
        capsys, "compile", str(DIGITS), "-o", str(tmp_path / "o.xlsx"), "--input", str(sample)
    )

    assert status == 2
    assert "sample for input 'image' has shape (7, 7, 1); the model expects (8, 8, 1)" in err


def test_missing_sample_file(tmp_path):
    with pytest.raises(SampleError, match=r"sample file '.*missing\.npy' does not exist"):
        compile_model(DIGITS, tmp_path / "o.xlsx", sample=tmp_path / "missing.npy")


def test_unknown_target():
    with pytest.raises(OptionError, match=r"target 'lotus' is not known \(choose from excel, "):
        compile_model(DIGITS, "unused.xlsx", target="lotus")


def test_output_folder_must_exist(tmp_path):
    with pytest.raises(WorkbookError, match=r"folder '.*nowhere' does not exist"):
        compile_model(DIGITS, tmp_path / "nowhere" / "model.xlsx")


def test_failed_compile_keeps_the_old_workbook_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "model.xlsx"
    target.write_bytes(b"previous contents")

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("cnn2sheet.backend.workbook._write", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        compile_model(DIGITS, target)

    assert target.read_bytes() == b"previous contents"
    assert [p.name for p in tmp_path.iterdir()] == ["model.xlsx"]


def test_verify_missing_workbook(capsys, tmp_path):
    status, _, err = _cli(capsys, "verify", str(DIGITS), str(tmp_path / "none.xlsx"))

    assert status == 2
    assert f"workbook '{tmp_path / 'none.xlsx'}' does not exist" in err


def test_negative_tolerance_is_refused(capsys, tmp_path):
    status, _, err = _cli(capsys, "verify", str(DIGITS), str(DIGITS), "--rtol", "-1")

    assert status == 2
    assert "rtol must be a finite number ≥ 0, got -1.0" in err
