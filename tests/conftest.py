"""Shared test fixtures: the corpus location, a fresh store, and tests/ on sys.path for the fakes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

CORPUS = TESTS.parents[1] / "shared" / "corpus"


@pytest.fixture
def corpus() -> Path:
    """The shared corpus (../shared/corpus); tests that need it skip when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


@pytest.fixture
def store():
    from storage import Store

    s = Store(":memory:")
    yield s
    s.close()
