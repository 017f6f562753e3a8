"""Shared test fixtures: the corpus location, a fresh store, and tests/ on sys.path for the fakes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

CORPUS = TESTS.parents[1] / "shared" / "corpus"


def digest_without_ids(digest: object) -> dict[str, object]:
    """A digest's JSON with every article id taken out: what must not change when the same
    feeds are fetched in another order (ids follow the order articles were stored in)."""
    data = digest.to_dict()  # type: ignore[attr-defined]
    for section in data["sections"]:
        for item in section["items"]:
            del item["id"]
    for entry in data["highlights"] + data["headlines"]:
        del entry["id"]
    return data


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


@pytest.fixture
def dialled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connect httpcore makes (the guard's inner backend and the platform clients), so a
    test can prove that a refused address was never dialled."""
    import httpcore

    calls: list[tuple[str, int]] = []
    real = httpcore.AnyIOBackend.connect_tcp

    async def spy(self, host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((host, port))
        return await real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", spy)
    return calls


@pytest.fixture(scope="session", autouse=True)
def _parse_worker_owner():
    """The process-wide parse worker starts on first use; the test session owns it and closes it."""
    yield
    from bot.ingest.worker import close_parse_worker

    close_parse_worker()
