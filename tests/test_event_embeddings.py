"""Same-event detection sharpened by an embeddings endpoint (summarizer.embedding_model): the
evidence it adds (bot/digest/events.py), the client that fetches and keeps the vectors
(bot/summarize/embeddings.py) through the real openai client against FakeOpenAI's /embeddings,
and the builder using it — or going on offline when the endpoint fails."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fakes.openai_server import FakeOpenAI
from test_digest_editing import DAY, NOW, add_fixtures, fixture_rows, wide
from test_digest_events import _fixtures, _group_of
from test_summarize_service import KEY_ENV, settings_for

from bot.config import Settings
from bot.digest import events as ev
from bot.digest.builder import build_digest
from bot.models import NewArticle
from bot.summarize.embeddings import BATCH, Embedder, embedding_text
from bot.summarize.service import SummaryService
from storage import Store

MODEL = "fake-embed"


def _random_vectors(ids: list[str], seed: int = 7) -> dict[str, list[float]]:
    rng = random.Random(seed)
    return {i: [rng.gauss(0, 1) for _ in range(64)] for i in ids}


# ---------------------------------------------------------------- the evidence


def test_centring_takes_out_what_every_vector_shares() -> None:
    """Raw cosines of an embedding model's unrelated texts sit high (one narrow cone); centred,
    they are near 0, and the scale is what unrelated pairs of the batch look like."""
    rng = random.Random(1)
    offset = [5.0] * 32
    vectors = [[o + rng.gauss(0, 1) for o in offset] for _ in range(200)]
    raw = [[x / sum(y * y for y in v) ** 0.5 for x in v] for v in vectors]
    assert sum(a * b for a, b in zip(raw[0], raw[1], strict=True)) > 0.9
    units = ev.centred_units(vectors)
    assert units[0] is not None and units[1] is not None
    assert abs(sum(a * b for a, b in zip(units[0], units[1], strict=True))) < 0.5
    scale = ev.embedding_scale(units)
    assert 0.1 < scale < 0.3  # about 1/sqrt(32) for 32 independent directions
    assert ev.embedding_scale(units) == scale  # fixed pairs, not a random sample
    # one vector of another length, an empty one and a missing one are left out; two vectors are
    # too few to centre, three too few for a scale
    mixed = ev.centred_units([[1.0, 0.0], [0.0, 1.0, 0.0], [], None, [0.0, 1.0]])
    assert mixed[1] is None and mixed[2] is None and mixed[3] is None and mixed[0] is not None
    assert ev.centred_units([[1.0, 2.0]]) == [None]
    assert ev.embedding_scale(ev.centred_units([[1.0, 0.0], [0.0, 1.0]])) == 0.0


def test_a_pair_carries_the_embedding_only_when_both_stories_have_a_vector() -> None:
    fx = _fixtures()
    stories = sorted(fx.values(), key=lambda s: (s.published, str(s.id)))
    vectors = _random_vectors([str(s.id) for s in stories])
    del vectors["g-b67"]
    evidence = ev.pair_evidence(stories, vectors=vectors)
    same_language = {(stories[i].id, stories[j].id): f for (i, j), (f, cross) in evidence.items()
                     if not cross}
    assert same_language
    for pair, feats in same_language.items():
        assert ("embedding" in feats) == ("g-b67" not in pair), pair
    cross = [f for f, is_cross in evidence.values() if is_cross]
    assert cross and all(set(f) == {"coverage"} for f in cross)  # cross-language pairs: offline
    assert all("embedding" not in f for f, _ in ev.pair_evidence(stories).values())


def test_the_embedding_keeps_apart_what_it_finds_unrelated_and_never_joins() -> None:
    """Two reports the words join stay one event when the endpoint agrees and are kept apart
    when it finds them unrelated; two the words leave apart stay apart however alike the
    endpoint finds them (a false merge hides a story: the embedding may only veto)."""
    fx = _fixtures()
    stories = list(fx.values())
    offline = ev.group_events(stories)
    assert "h-1-gal-b" not in _group_of(offline, "h-1-gal-a")
    assert "f-a23-zh2" in _group_of(offline, "f-a23-zh1")
    assert "f-b18-zh2" in _group_of(offline, "f-b18-zh1")
    vectors = _random_vectors([str(s.id) for s in stories])  # unrelated, but for these:
    vectors["h-1-gal-b"] = list(vectors["h-1-gal-a"])
    vectors["f-b18-zh2"] = [x + 0.1 for x in vectors["f-b18-zh1"]]
    sharpened = ev.group_events(stories, vectors=vectors)
    assert "h-1-gal-b" not in _group_of(sharpened, "h-1-gal-a")
    assert "f-a23-zh2" not in _group_of(sharpened, "f-a23-zh1")
    assert "f-b18-zh2" in _group_of(sharpened, "f-b18-zh1")
    assert sharpened == ev.group_events(stories[::-1], vectors=vectors)  # order-free still
    scores = ev.pair_scores(sorted(stories, key=lambda s: (s.published, str(s.id))), vectors=vectors)
    assert max(score for score, cross, _same in scores.values() if not cross) > 0.93
    assert ev.group_events(stories, vectors={}) == offline  # no vectors: offline exactly


# ---------------------------------------------------------------- the client


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeOpenAI]:
    monkeypatch.setenv(KEY_ENV, "sk-test-embeddings-secret")
    async with FakeOpenAI() as server:
        yield server


def _settings(fake: FakeOpenAI, **over: object) -> Settings:
    return settings_for(fake.base_url, **{"embedding_model": MODEL, **over})


def _articles(store: Store, n: int) -> list[Any]:
    feed = store.add_feed("https://news.example/feed.xml", "News")
    out = []
    for i in range(n):
        text = f"Story {i} says company {i} did thing {i} on Monday."
        out.append(store.add_article(NewArticle(
            feed_id=feed.id, url=f"https://news.example/{i}", title=f"Title {i}", source="News",
            published=NOW, language="en", text=text, original_chars=len(text), content_hash=f"h{i}",
        ), at=NOW))
    return out


async def test_each_article_is_embedded_once_in_batches_and_again_when_its_text_changes(
        fake: FakeOpenAI) -> None:
    store = Store(":memory:")
    try:
        articles = _articles(store, BATCH + 6)
        embedder = Embedder(_settings(fake).summarizer, "sk-test-embeddings-secret")
        try:
            got = await embedder.vectors(store, articles)
            assert sorted(got) == sorted(a.id for a in articles)
            assert [len(r["input"]) for r in fake.embedding_requests] == [BATCH, 6]
            first = fake.embedding_requests[0]
            assert first["model"] == MODEL and first["encoding_format"] == "float"
            assert first["input"][0] == embedding_text(articles[0].title, articles[0].text)
            assert len(got[articles[0].id]) == 64 and fake.calls == 0  # no chat completion

            again = await embedder.vectors(store, articles)  # kept in the store: no request
            assert len(fake.embedding_requests) == 2
            assert again[articles[3].id] == pytest.approx(got[articles[3].id], abs=1e-6)

            blank = store.add_article(NewArticle(
                feed_id=articles[0].feed_id, url="https://news.example/blank", title=" ",
                source="News", published=NOW, language="en", text="", original_chars=0,
                content_hash="blank"), at=NOW)
            assert blank.id not in await embedder.vectors(store, [blank])  # nothing to embed
            assert len(fake.embedding_requests) == 2

            store.update_article_text(articles[3].id, "Another text entirely.", 22, "h-new")
            changed = store.get_article(articles[3].id)
            assert changed is not None
            await embedder.vectors(store, [changed, *articles[:3]])
            assert [r["input"] for r in fake.embedding_requests[2:]] == [
                [embedding_text(changed.title, changed.text)]]
            assert embedder.requests == 3 and embedder.failures == 0
            usage = store.model_usage_since(datetime(2000, 1, 1, tzinfo=UTC))
            assert usage["calls"] == 3 and usage["failures"] == 0 and usage["prompt_tokens"] > 0
        finally:
            await embedder.aclose()
    finally:
        store.close()


@pytest.mark.parametrize("mode", ["500", "short"])
async def test_a_failing_endpoint_is_logged_without_its_message_and_nothing_is_kept(
        fake: FakeOpenAI, mode: str, caplog: pytest.LogCaptureFixture) -> None:
    fake.embedding_mode = mode
    store = Store(":memory:")
    try:
        articles = _articles(store, 3)
        embedder = Embedder(_settings(fake).summarizer, "sk-test-embeddings-secret")
        with caplog.at_level(logging.WARNING, logger="bot.summarize.embeddings"):
            got = await embedder.vectors(store, articles)
        await embedder.aclose()
        assert got == {} and embedder.failures == 1
        usage = store.model_usage_since(datetime(2000, 1, 1, tzinfo=UTC))
        assert usage["calls"] == 1 and usage["failures"] == 1
        assert store.get_embeddings(MODEL, {a.id: a.content_hash for a in articles}) == {}
        line = "\n".join(r.getMessage() for r in caplog.records)
        assert "3 stories compared offline" in line
        assert ("HTTP 500" in line) if mode == "500" else ("ValueError" in line)
        assert "internal error" not in line and "sk-test" not in line and "vectors for" not in line
    finally:
        store.close()


# ---------------------------------------------------------------- in the builder


def _items(digest: object) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((i.url, tuple(a.url for a in i.also)) for i in digest.items())  # type: ignore[attr-defined]


async def test_the_builder_embeds_the_window_and_goes_on_offline_when_the_endpoint_fails(
        fake: FakeOpenAI) -> None:
    rows = fixture_rows()
    results = {}
    for name, model, mode in (("offline", "", "valid"), ("embedded", MODEL, "valid"),
                              ("failing", MODEL, "500")):
        fake.embedding_mode = mode
        sent = len(fake.embedding_requests)
        store = Store(":memory:")
        try:
            articles = add_fixtures(store, rows)
            settings = wide(_settings(fake, embedding_model=model), max_items=200)
            service = SummaryService(store, settings)
            try:
                assert (service.embedder is not None) == bool(model)
                results[name] = await build_digest(store, settings, service, day=DAY,
                                                   language="en", now=NOW)
            finally:
                await service.aclose()
            texts = [t for r in fake.embedding_requests[sent:] for t in r["input"]]
            if name == "embedded":  # every story of the window, once
                assert sorted(texts) == sorted(embedding_text(a.title, a.text)
                                               for a in articles.values())
            else:
                assert len(texts) == (0 if name == "offline" else BATCH)  # gave up at the first
        finally:
            store.close()
    assert _items(results["failing"]) == _items(results["offline"])
    assert results["embedded"].items() and results["failing"].items()


def test_the_config_names_the_embedding_model(caplog: pytest.LogCaptureFixture) -> None:
    from bot.config import parse_settings

    assert parse_settings({}).summarizer.embedding_model == ""
    named = parse_settings({"summarizer": {"embedding_model": "text-embedding-3-small"}})
    assert named.summarizer.embedding_model == "text-embedding-3-small"
    store = Store(":memory:")
    try:  # offline summariser: no embedder, and the operator is told why
        with caplog.at_level(logging.WARNING, logger="bot.summarize.service"):
            service = SummaryService(store, named)
        assert service.embedder is None
        assert any("needs provider" in r.getMessage() for r in caplog.records)
        service.offline.close()
    finally:
        store.close()
