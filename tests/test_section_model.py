"""The section classifier: the shipped model, its accuracy on the hand-labelled held-out split beside
the baselines, custom sections, the training routine, and the definitions the model prompt and
config carry."""

from __future__ import annotations

import dataclasses
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from bot.config import DEFAULT_SECTIONS, SectionSettings, parse_settings
from bot.digest import section_model, sections
from bot.digest.section_model import SectionModel, train
from bot.digest.sections import classify, classify_by_keywords
from bot.summarize.prompts import build_messages

ROOT = Path(__file__).resolve().parents[1]


def test_the_model_ships_as_package_data_and_loads() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "digest/section_model.json" in config["tool"]["setuptools"]["package-data"]["bot"]
    model = section_model.shipped_model()
    assert model is not None
    assert set(model.labels) == {s.key for s in DEFAULT_SECTIONS}
    again = SectionModel.from_json(model.to_json())
    title = "Anthropic raises $30 billion in Series G funding"
    assert again.scores(title, "") == pytest.approx(model.scores(title, ""))


def test_the_held_out_split_is_never_trained_on() -> None:
    """The fresh rounds are what the benchmark reports: training must not read them."""
    import inspect

    from benchmarks import train_sections
    from benchmarks.labelled import HELD_OUT_SPLITS, TRAIN_SPLITS

    assert HELD_OUT_SPLITS == ("fresh", "fresh2", "fresh3", "fresh4", "fresh5")
    assert not set(HELD_OUT_SPLITS) & set(TRAIN_SPLITS)
    assert {"dev", "test", "dev2", "dev3", "dev4", "dev5", "dev6"} <= set(TRAIN_SPLITS)
    assert "section_labels(*TRAIN_SPLITS)" in inspect.getsource(train_sections.main)


def _predictions(items: list) -> dict[str, str]:
    """As the builder classifies: the feed's name and its lean (its latest corpus entries up to
    the item, read by the shipped model) beside the item's own words."""
    from benchmarks.train_sections import LeanReader

    lean = LeanReader(section_model.shipped_model())  # type: ignore[arg-type]
    return {x.entry.key: classify(x.entry.title, x.entry.text, None, DEFAULT_SECTIONS, x.entry.source,
                                  lean(x.entry)) for x in items}


def test_held_out_accuracy_beats_both_baselines(corpus: Path) -> None:
    """Regression floors just under the figures measured on the held-out splits (look 10: fresh to
    fresh5 together 78.0 %: zh 75.1 %, en 79.2 %; fresh2 alone 75.4 %, fresh3 82.1 %, fresh4
    79.0 %, fresh5 82.8 %; docs/editing.md); the issue's goal is 80 % on all of them, not met."""
    from benchmarks.labelled import HELD_OUT_SPLITS, TRAIN_SPLITS, _read_jsonl, section_labels

    train = [r["section"] for r in _read_jsonl("sections.jsonl") if r["split"] in TRAIN_SPLITS]
    held = section_labels(*HELD_OUT_SPLITS)
    predicted = _predictions(held)

    def accuracy(items: list) -> float:
        return sum(predicted[x.entry.key] == x.section for x in items) / len(items)

    majority = Counter(train).most_common(1)[0][0]
    n = len(held)
    ours = accuracy(held)
    keywords = sum(classify_by_keywords(x.entry.title, x.entry.text, DEFAULT_SECTIONS) == x.section
                   for x in held)
    baseline = sum(x.section == majority for x in held)
    assert ours >= 0.775
    assert ours * n > baseline + 0.45 * n and ours * n > keywords + 0.3 * n
    for lang, floor in (("zh", 0.745), ("en", 0.785)):
        assert accuracy([x for x in held if x.lang == lang]) >= floor, lang
    for split, floor in (("fresh2", 0.75), ("fresh3", 0.815), ("fresh4", 0.785), ("fresh5", 0.82)):
        assert accuracy([x for x in held if x.split == split]) >= floor, split


def test_the_feed_name_counts_by_its_generic_words_only() -> None:
    """A feed's name adds features only for the generic words that say what kind of site it is,
    so the model never learns one training site by name; with no name nothing changes."""
    from bot.digest.section_model import features

    plain = features("Faster builds", "We cut build time in half.")
    assert features("Faster builds", "We cut build time in half.", "") == plain
    named = features("Faster builds", "We cut build time in half.", "Acme Engineering Blog")
    assert set(named) - set(plain) == {"src:engineering", "src:blog"}
    assert set(features("x", "", "什么值得买 精选")) >= {"src:值得买"}
    assert not [f for f in features("x", "", "Acme Widgets") if f.startswith("src:")]


def test_second_reader_labels_point_at_fresh_items_and_agreement_is_scored(corpus: Path) -> None:
    """The blind second reader's labels are references to fresh-split items (never text), each item
    once; the benchmark's agreement and kappa follow from them (93.5 %, kappa 0.91 when measured)."""
    from benchmarks.labelled import _read_jsonl, ref_key, section_labels
    from benchmarks.sections import second_reader

    rows = _read_jsonl("sections_second_reader.jsonl")
    assert all(set(row) <= {"feed", "link", "guid", "lcsts", "section"} for row in rows)
    fresh = section_labels("fresh")
    keys = [ref_key(row) for row in rows]
    assert len(keys) == len(set(keys)) == 200
    assert set(keys) <= {x.entry.key for x in fresh}

    r = second_reader(fresh, lambda x: x.section)  # a "model" that is the first reader
    assert r["model_vs_first"] == 1.0 and r["model_where_readers_agree"] == 1.0
    assert r["model_vs_second"] == r["agreement"] >= 0.85 and 0.0 < r["kappa"] < r["agreement"]
    assert r["zh_n"] + r["en_n"] == 200 and min(r["zh_n"], r["en_n"]) >= 60


def test_custom_sections_keep_working_by_keywords() -> None:
    research = SectionSettings(key="research", name={"*": "Research"}, keywords=("arxiv", "论文"))
    configured = (*DEFAULT_SECTIONS, research)
    assert classify("New arXiv paper on sparse attention", "", None, configured) == "research"
    assert classify("Startup raises $1 billion in funding", "", None, configured) == "industry"
    only_custom = (research, SectionSettings(key="misc", name={"*": "Misc"}))
    assert classify("Startup raises $1 billion", "", None, only_custom) == "misc"  # keywords, last


def test_without_the_model_the_keywords_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sections, "shipped_model", lambda: None)
    title = "Startup raises $1 billion in funding"
    assert classify(title, "", None, DEFAULT_SECTIONS) == classify_by_keywords(title, "", DEFAULT_SECTIONS)
    assert classify("A quiet day", "", None, DEFAULT_SECTIONS) == "other"


def test_training_learns_and_is_deterministic() -> None:
    examples = [
        ("Introducing Widget 2.0, now available", "", "products"),
        ("Widget 3.1 released with new features", "", "products"),
        ("新版 Widget 正式发布", "", "products"),
        ("Acme raises $50 million Series B", "", "industry"),
        ("Acme 完成 1 亿元 B 轮融资", "", "industry"),
        ("Regulators fine Acme over data use", "", "industry"),
        ("How to build a tokenizer: a step-by-step tutorial", "", "tutorials"),
        ("详解分词器的实现原理", "", "tutorials"),
        ("Why I think the hype will fade", "", "other"),
        ("我为什么离开了投资行业", "", "other"),
    ]
    labels = ("products", "industry", "tutorials", "other")
    model = train(examples, labels, epochs=30, min_count=1)
    assert train(examples, labels, epochs=30, min_count=1) == model
    assert sum(model.predict(t, x) == y for t, x, y in examples) >= 9
    assert model.predict("Widget 4.0 released", "") == "products"


def test_only_the_lead_is_read() -> None:
    head = "正文" * section_model.LEAD_CHARS
    assert section_model.features("标题", head) == section_model.features("标题", head + "尾巴" * 5000)


def test_the_prompt_carries_the_definitions() -> None:
    keys = [s.key for s in DEFAULT_SECTIONS] + ["research"]
    system = build_messages("T", "Body.", "en", "points", keys, 4000)[0]["content"]
    for s in DEFAULT_SECTIONS:
        assert f"- {s.key}: {s.description_for('en')}" in system
    assert "  - research\n" in system
    zh = build_messages("T", "正文。", "zh", "points", keys, 4000)[0]["content"]
    assert DEFAULT_SECTIONS[0].description_for("zh") in zh
    own = build_messages("T", "Body.", "en", "points", ["products"], 4000,
                         definitions={"products": "Only shiny things."})[0]["content"]
    assert "- products: Only shiny things." in own and "alternatives" not in own


def test_config_descriptions_per_language() -> None:
    defaults = parse_settings({})
    products = next(s for s in defaults.digest.sections if s.key == "products")
    assert products.description_for("zh").startswith("介绍一个具体的产品")
    assert products.description_for("en").startswith("Presents a specific product")
    custom = parse_settings({"digest": {"sections": [
        {"key": "products", "name": "P", "description": "Things to buy"},
        {"key": "industry", "name": "I"},
    ]}})
    p, i = custom.digest.sections
    assert p.description == {"zh": "Things to buy", "en": "Things to buy"}
    assert i.description_for("en").startswith("Something that happened")
    assert dataclasses.replace(p, description={}).description_for("en") == ""


def test_the_builder_gives_the_model_the_feed_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """The digest builder passes the item's feed name to the classifier (the model reads its
    generic words); an item whose feed is gone gets no name."""
    from types import SimpleNamespace

    from bot.digest import builder
    from bot.models import Feed

    seen: list[tuple[object, ...]] = []
    monkeypatch.setattr(builder, "classify", lambda *args: seen.append(args[4:]) or "other")
    settings = parse_settings({})
    article = SimpleNamespace(feed_id=7, title="Release notes", text="Version 2.1 fixes a crash.")
    candidate = SimpleNamespace(summary=SimpleNamespace(section=None), article=article)
    feed = Feed(id=7, url="https://example.com/changelog.xml", name="Widget Changelog")
    lean = {"products": 0.7, "industry": 0.1, "tutorials": 0.1, "other": 0.1}
    assert builder._section_of(candidate, settings, {7: feed}, {7: lean}) == "other"  # type: ignore[arg-type]
    assert builder._section_of(candidate, settings, {}, {}) == "other"  # type: ignore[arg-type]
    assert seen == [("Widget Changelog", lean), ("", None)]
