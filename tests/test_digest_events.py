"""Same-event detection (bot/digest/events.py): invented stories in both languages, and the
pairwise figures on the hand-labelled held-out (fresh) split against MinHash."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.digest import event_reading as er
from bot.digest import events as ev

FIXTURES = Path(__file__).resolve().parent / "labels" / "event_fixtures.jsonl"


def _fixtures() -> dict[str, ev.EventStory]:
    out = {}
    for line in FIXTURES.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out[row["id"]] = ev.EventStory(row["id"], row["title"], row["text"], row["lang"],
                                       datetime.fromisoformat(row["published"]), row["source"])
    return out


def _group_of(groups: list[tuple[object, ...]], story_id: str) -> tuple[object, ...]:
    return next(g for g in groups if story_id in g)


def test_cross_language_report_of_one_event_is_merged_and_same_company_news_is_not() -> None:
    fx = _fixtures()
    groups = ev.group_events(list(fx.values()))
    # Nvidia buys Lumina, told in English and in Chinese: names and the $4.2 billion agree.
    assert _group_of(groups, "x01-en") == _group_of(groups, "x01-zh")
    # Nvidia's quarterly results the same day are another event, in either language.
    assert "n01-zh" not in _group_of(groups, "x01-en")
    assert "n01-en" not in _group_of(groups, "x01-en")
    # Two Chinese outlets and one English one on DeepSeek-V5: one item; DeepSeek's funding is not.
    assert {"x02-zh", "x02-en", "x02-zh2"} <= set(_group_of(groups, "x02-zh"))
    assert "n02-zh" not in _group_of(groups, "x02-zh")
    # Every story is in exactly one group.
    flat = [i for g in groups for i in g]
    assert sorted(flat) == sorted(fx)


def test_figures_are_compared_as_values_across_languages() -> None:
    keys = {er._number_key(m) for m in er._NUMBER.finditer("以42亿美元收购，20万台，上涨30%，2031年")} - {None}
    assert keys == {"#4.2e+09", "#2e+05", "%30"}  # the year is not a figure
    en = {er._number_key(m) for m in er._NUMBER.finditer("a $4.2 billion deal, 200,000 units, up 30% in 2031")} - {None}
    assert en == {"#4.2e+09", "#2e+05", "%30"}


def test_window_round_ups_and_order() -> None:
    fx = _fixtures()
    a, b = fx["x01-en"], fx["x01-zh"]
    late = ev.EventStory(b.id, b.title, b.text, b.language, a.published + timedelta(hours=49), b.source)
    assert _group_of(ev.group_events([a, late]), a.id) == (a.id,)  # outside the 48 h window
    assert _group_of(ev.group_events([a, late], timedelta(hours=72)), a.id) == (a.id, b.id)
    briefing = ev.EventStory("r", "AI日报：英伟达42亿美元收购Lumina；DeepSeek-V5发布；月之暗面融资",
                             b.text, "zh", b.published, "日报")
    assert ev.is_roundup(briefing.title)
    assert _group_of(ev.group_events([a, b, briefing]), "r") == ("r",)  # a round-up never merges
    morning = ev.EventStory("m", "雷锋早报：英伟达42亿美元收购光互连公司Lumina", b.text, "zh", b.published, "早报")
    assert ev.is_roundup(morning.title) and not ev.is_roundup(b.title)
    assert _group_of(ev.group_events([a, b, morning]), "m") == ("m",)
    shuffled = list(fx.values())
    random.Random(3).shuffle(shuffled)
    assert ev.group_events(shuffled) == ev.group_events(sorted(shuffled, key=lambda s: str(s.id)))


def test_a_group_never_spans_more_than_the_window() -> None:
    fx = _fixtures()
    x = [fx["x02-zh"], fx["x02-zh2"], fx["x02-en"]]
    start = x[0].published
    spaced = [ev.EventStory(s.id, s.title, s.text, s.language, start + timedelta(hours=30 * i), s.source)
              for i, s in enumerate(x)]  # neighbours 30 h apart, ends 60 h apart
    others = [v for k, v in fx.items() if not k.startswith("x02")]  # a realistic batch for the IDF
    assert len(_group_of(ev.group_events(others + spaced), "x02-zh2")) == 2
    assert len(_group_of(ev.group_events(others + spaced, timedelta(hours=72)), "x02-zh2")) == 3


def test_kinds_of_event_that_contradict_keep_a_cross_language_pair_apart() -> None:
    when = datetime(2030, 3, 13, 9, tzinfo=UTC)
    recall = ev.EventStory("zh", "三星召回12万只Galaxy Ring 3智能戒指", "三星宣布召回约12万只Galaxy Ring 3智能戒指。",
                           "zh", when, "a")
    review = ev.EventStory("en", "Samsung Galaxy Ring 3 review: 120,000 sold in a week",
                           "Our review of the Samsung Galaxy Ring 3, which sold 120,000 units.", "en", when, "b")
    same = ev.EventStory("en2", "Samsung recalls 120,000 Galaxy Ring 3 rings",
                         "Samsung is recalling about 120,000 Galaxy Ring 3 smart rings.", "en", when, "c")
    assert _group_of(ev.group_events([recall, review]), "zh") == ("zh",)
    assert set(_group_of(ev.group_events([recall, same]), "zh")) == {"zh", "en2"}


def test_a_companion_document_names_its_launch() -> None:
    assert er.companion_of("Zephyr agent System Card", "Introducing Zephyr agent")
    assert er.companion_of("Addendum to Z-5 System Card: Z-5 voice mode", "Introducing Z-5 voice mode")
    assert er.companion_of("Zephyr 3 model card", "Zephyr 3 is here")
    assert er.companion_of("Zephyr 智能体系统卡", "Orion 发布 Zephyr 智能体")
    # Sharing the model names is not naming the launch: the addendum is about Operator.
    assert not er.companion_of("Addendum to Z-5 and Z-5-mini system card: Z-5 Operator",
                               "Shipping code faster with Z-5 and Z-5-mini")
    # Two documents, a launch and a launch, a card that names nothing: no companion.
    assert not er.companion_of("Zephyr agent System Card", "Addendum to Zephyr agent System Card")
    assert not er.companion_of("Introducing Zephyr agent", "Zephyr agent System Card")
    assert not er.companion_of("System Card", "Introducing Zephyr")


def test_a_launch_and_its_system_card_from_one_source_are_one_event() -> None:
    """A source's own posts need near-certain evidence to merge (SAME_SOURCE_THRESHOLD), which a
    launch post and its system card rarely reach; the card's title names the launch, so the pair
    is held to the ordinary threshold. Another post of the same source that day stays apart."""
    fx = _fixtures()
    when = datetime(2030, 5, 6, 17, tzinfo=UTC)
    launch = ev.EventStory(
        "launch", "Introducing Zephyr agent",
        "Zephyr agent thinks and acts for you: it browses, runs code and fills in forms for you, and "
        "asks before anything consequential. Zephyr agent is rolling out to Pro, Plus and Team "
        "users today, with Enterprise and Education users next month.", "en", when, "orion.example")
    card = ev.EventStory(
        "card", "Zephyr agent System Card",
        "Zephyr agent System Card: Orion's agentic model combines browsing, code execution and "
        "connectors, with safeguards for high-risk tasks; Zephyr agent is rolling out to Pro, Plus "
        "and Team users.", "en", when + timedelta(minutes=5), "orion.example")
    other = ev.EventStory(
        "other", "Orion opens an office in Lisbon",
        "Orion is opening an office in Lisbon, its fourth in Europe, to work with Pro and Team "
        "customers across the region; Zephyr agent will be available there too.", "en",
        when + timedelta(hours=2), "orion.example")
    background = [v for v in fx.values() if v.language == "en"]
    groups = ev.group_events(background + [launch, card, other])
    assert set(_group_of(groups, "launch")) == {"launch", "card"}
    assert _group_of(groups, "other") == ("other",)
    # Without the card's title naming the launch, the same texts stay two items from one source.
    renamed = ev.EventStory("card", "Safety evaluations of our agentic model", card.text, "en",
                            card.published, card.source)
    groups = ev.group_events(background + [launch, renamed, other])
    assert _group_of(groups, "launch") == ("launch",)


def test_empty_and_lone_inputs() -> None:
    assert ev.group_events([]) == []
    one = ev.EventStory(1, "Only story", "", "en", datetime(2030, 1, 1, tzinfo=UTC))
    assert ev.group_events([one]) == [(1,)]


def test_fresh_split_pairwise_figures_beat_minhash(corpus: Path) -> None:
    """Regression floors just under the figures measured on the held-out fresh split at look 4
    (docs/editing.md: zh 85.2 % / 88.5 %, en 79.5 % / 75.4 %, zh↔en 100 % / 74.3 %, all 83.6 % /
    77.1 %); the issue's goals, precision 95 % and recall 80 % per kind, are not met."""
    from benchmarks.events import gold_pairs, labelled_run, minhash_pairs, score

    labels, entries, predicted = labelled_run()
    gold = gold_pairs(labels, "fresh")
    ours = score(set(predicted), gold)
    minhash = score(minhash_pairs(list(entries), gold), gold)
    assert ours["all"]["positives"] >= 150
    assert ours["all"]["recall"] >= 0.76 > minhash["all"]["recall"] + 0.5
    assert ours["all"]["precision"] >= 0.82
    assert ours["zh"]["precision"] >= 0.83 and ours["zh"]["recall"] >= 0.84
    assert ours["en"]["precision"] >= 0.77 and ours["en"]["recall"] >= 0.73
    assert ours["cross"]["precision"] >= 0.95 and ours["cross"]["recall"] >= 0.71


def test_pair_evidence_does_not_depend_on_the_order_tokens_are_met_in() -> None:
    """Set iteration order changes with each process's string hashes, so sums over shared tokens
    must not depend on it: the same two vectors give the same cosine and mass in any order (a
    plain running sum of 1e16, 1 and -1e16 gives 0 or 1 by order)."""
    a = {"x": 1e16, "y": 1.0, "z": -1e16}
    b = {"x": 1.0, "y": 1.0, "z": 1.0}
    reordered = {"z": -1e16, "y": 1.0, "x": 1e16}
    assert ev._cosine(a, b) == ev._cosine(reordered, b) == ev._cosine(b, reordered) == 1.0
    idf = {"x": 1e16, "y": 1.0, "z": -1e16}
    assert ev._shared_mass(frozenset("xyz"), frozenset("zyxw"), idf) == 1.0
    assert ev._cosine(a, {"w": 2.0}) == 0.0


def test_kinds_of_event_are_read_as_whole_english_words_or_chinese_words_anywhere() -> None:
    assert er.event_kinds("Acme raises $5M in a Series A") == {"funding"}
    assert er.event_kinds("Acme's fundraiser praises volunteers") == set()  # no whole word
    assert er.event_kinds("某公司完成B轮融资，估值十亿") == {"funding"}
    assert er.event_kinds("EARNINGS beat; 营收 grew") == {"earnings"}


def test_chinese_numerals_and_rounded_figures_are_evidence() -> None:
    """四点二亿元 is the 4.2亿 and the 420 million of other reports; "about 33 million yuan"
    agrees with 3280万元; 百度 or a run of digits without 十/百/千 is no figure."""
    from bot.digest.event_reading import coarse_figures, read_tokens

    def figures(text: str) -> set[str]:
        return {a for a in read_tokens(text, "zh")[1] if a[:1] in "#%"}

    assert figures("四点二亿元罚单") == figures("4.2亿元罚单") == {"#4.2e+08"}
    assert figures("三千二百八十万元") == {"#3.28e+07"} and figures("百分之三十") == {"%30"}
    assert not figures("百度发布千亿市值统一一起二〇三二年")
    assert coarse_figures({"#3.28e+07"}) == coarse_figures({"#3.3e+07"})
    when = datetime(2032, 4, 20, 8, tzinfo=UTC)
    zh = ev.EventStory("zh", "拼多多被罚四点二亿元", "市场监管总局对拼多多罚款四点二亿元，认定其强制商家参加活动。",
                       "zh", when, "a")
    en = ev.EventStory("en", "China fines PDD 420 million yuan",
                       "China's market regulator fined Pinduoduo 420 million yuan over rules forced on merchants.",
                       "en", when, "b")
    assert set(_group_of(ev.group_events([zh, en]), "zh")) == {"zh", "en"}


def test_the_day_a_lead_names() -> None:
    from bot.digest.event_reading import first_day

    assert first_day("NAIROBI, June 16 (Wire) - talks resumed on Tuesday") == "d16"
    assert first_day("Talks resumed on Tuesday, June 16") == "w:tuesday"
    assert first_day("商务部21日回应") == "d21" and first_day("周二发布") == "w:tuesday"
    assert first_day("no day at all") == ""


@pytest.mark.parametrize("kind", ["zh", "en", "cross"])
def test_every_kind_has_labelled_pairs_in_every_split(corpus: Path, kind: str) -> None:
    from benchmarks.events import gold_pairs, labelled_run

    labels = labelled_run()[0]
    for split in ("dev", "test", "fresh", "dev3"):
        gold = gold_pairs(labels, split)
        assert gold.positives[kind] and gold.negatives[kind], split


def test_fresh_pairs_and_first_round_pairs_never_overlap(corpus: Path) -> None:
    """A pair touching a story of the held-out round is scored there only, so tuning on the
    first round's pairs never sees a held-out pair."""
    from benchmarks.events import gold_pairs, labelled_run

    labels = labelled_run()[0]
    fresh = gold_pairs(labels, "fresh")
    fresh_pairs = set().union(*fresh.positives.values(), *fresh.negatives.values())
    assert all(pair & labels.fresh for pair in fresh_pairs)
    for split in ("dev", "test"):
        gold = gold_pairs(labels, split)
        for pair in set().union(*gold.positives.values(), *gold.negatives.values()):
            assert not pair & labels.fresh, pair


def test_rarity_is_counted_among_the_stories_around_each_day() -> None:
    """A word in every story of one busy day names no event on that day, however rare it is in a
    batch spanning months; on a quiet day the same word still counts as rare."""
    busy = datetime(2030, 6, 1, 9, tzinfo=UTC)
    stories = [ev.EventStory(f"b{i}", f"Iran talks update {i}", f"Story {i} about Iran and more.", "en",
                             busy + timedelta(minutes=i), "wire") for i in range(30)]
    stories += [ev.EventStory(f"q{i}", f"Quiet day note {i}", f"Filler {i} on gardening.", "en",
                              busy + timedelta(days=20 + i), "blog") for i in range(120)]
    stories.append(ev.EventStory("lone", "Iran mentioned once", "Iran appears here alone.", "en",
                                 busy + timedelta(days=90), "blog"))
    prepared = [ev._prepare(s) for s in stories]
    idfs, _rares = ev._local_idfs(prepared, ev.DEFAULT_WINDOW)
    assert idfs[0]["iran"] < idfs[-1]["iran"] - 0.5  # busy day vs the quiet day, same word


def test_the_embedding_checks_separation_measure_counts_ties_half() -> None:
    """benchmarks/events_embedding.py compares evidence by AUC: the chance a same-event pair
    scores above another pair, ties counted half (the check itself needs wordllama, which is not a
    dependency; its measure is plain Python)."""
    from benchmarks.events_embedding import auc

    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.1], [0.9, 0.8]) == 0.0
    assert auc([0.5], [0.5, 0.1]) == 0.75
    assert auc([], [0.1]) != auc([], [0.1])  # nothing to compare: NaN, never a made-up figure
