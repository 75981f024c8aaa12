"""Shared test set-up: quiet TensorFlow, and the engines' availability rule for CI."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _seeded():
    import keras

    keras.utils.set_random_seed(1234)
