"""The answer cell: the predicted class follows the inputs after recalculation."""

from __future__ import annotations

import numpy as np
import pytest
from support import FIXTURES

from cnn2sheet import compile_model
from cnn2sheet.backend.manifest import read_manifest
from cnn2sheet.errors import OptionError
from cnn2sheet.frontend import load_model
from cnn2sheet.verify.engines import open_session

LABELS = [f"digit {k}" for k in range(10)]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("answer") / "digits.xlsx"
    compile_model(
        FIXTURES / "digits_cnn.keras",
        path,
        sample=FIXTURES / "digits_sample.npy",
        labels=LABELS,
        check=False,
    )
    return path


def test_prediction_follows_an_edited_input(book):
    test = np.load(FIXTURES / "digits_test.npz")
    model = load_model(FIXTURES / "digits_cnn.keras")
    images = test["x"][:12]
    wanted = np.argmax(model.predict(images, verbose=0), axis=1)
    label = next(e.range for e in read_manifest(book) if e.block.endswith("/label"))

    with open_session("ironcalc", book) as session:
        got = []
        for image in images:
            result = session.evaluate({"input": image}, ["prediction", label])
            got.append(int(result["prediction"][0]))
            shown = session.last_errors[label]  # text, not a number: recorded as such

            assert shown[0][1] == f"text 'digit {got[-1]}'"

    assert got == wanted.tolist()
    assert len(set(got)) > 3  # the inputs really changed the answer


def test_wrong_number_of_labels_is_refused(tmp_path):
    with pytest.raises(OptionError, match=r"3 labels were given for 10 classes"):
        compile_model(FIXTURES / "digits_cnn.keras", tmp_path / "x.xlsx", labels=["a", "b", "c"])

    assert list(tmp_path.iterdir()) == []


def test_compile_reports_progress_per_stage(tmp_path):
    calls = []

    compile_model(
        FIXTURES / "digits_cnn.keras",
        tmp_path / "d.xlsx",
        progress=lambda stage, done, total: calls.append((stage, done, total)),
    )

    for stage in ("evaluating", "writing"):
        seen = [(done, total) for s, done, total in calls if s == stage]
        assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 700
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)
