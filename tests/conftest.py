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


# Under pytest-xdist (two workers, see pyproject.toml) the tests of one group run on one worker.
# Grouped: the modules that resolve labelled corpus entries through benchmarks.labelled, which
# parses the ~115 corpus feeds the labels name once per process (about 25 s), and each module
# whose module-scoped fixture builds a corpus digest (5 to 17 s): that work is then done once, not
# once per worker.
_GROUPS = {
    "test_benchmarks_smoke": "labelled-corpus",
    "test_digest_events": "labelled-corpus",
    "test_labels": "labelled-corpus",
    "test_section_model": "labelled-corpus",
    "test_e2e_digest_quality": "corpus-digest-quality",
    "test_filters_search_corpus": "corpus-digest-filters",
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups off the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        group = _GROUPS.get(module.__name__) if module is not None else None
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
