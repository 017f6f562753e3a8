"""Same-event detection: which stories in a window report one event, in Chinese, in English and
across the two, offline.

MinHash in bot/ingest/dedup.py finds near-copies; this finds the same news told in other words.
Two stories are compared when they are published within the window (48 h by default) and share
a rare token. Same language: cosine of TF-IDF vectors over the title (counted twice) and the
lead — Latin words and CJK character pairs. Across languages: how much of the Chinese story's
anchors — Latin names and product names inside the Chinese text, figures normalised to values
(42亿美元 = $4.2 billion, 200万 = 2 million) and a small table of Chinese company names — the
English story also has. Pairs at or above their threshold (measured on the dev split of
tests/labels/events.jsonl; see docs/editing.md) are joined average-link, so a group only grows
when the newcomer is close to the group as a whole, not to one member. Round-ups (daily
briefings, weekly newsletters) report many events and are never merged. With vectors from an
embeddings endpoint (summarizer.embedding_model), a same-language pair the embedding finds
unrelated (EMBEDDING_FLOOR) is kept apart whatever the words say; the embedding never joins.

What a story says (tokens, names, figures, the day its lead names, the kinds of event, round-up
titles) is read in bot/digest/event_reading.py; this module compares and groups.

Pure: a list of small records in, groups of ids out.
"""

from __future__ import annotations

import logging
import math
import operator
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.digest.event_reading import (
    coarse_figures,
    companion_of,
    event_kinds,
    first_day,
    is_companion,
    is_roundup,
    read_tokens,
)

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(hours=48)
LEAD_CHARS = 1200  # the title and first lines carry the event; later paragraphs wander
TITLE_WEIGHT = 2.0
# Thresholds chosen on the first round's dev and test pairs (`python -m benchmarks.events
# --sweep`): the highest recall whose precision there stays above 0.95, ties to the stricter;
# see docs/editing.md for the figures.
SAME_LANGUAGE_THRESHOLD = 0.93
CROSS_LANGUAGE_THRESHOLD = 0.55
# One source rarely tells one event twice (a launch post and its system card); its own posts on
# one company share names and templates, so they need far stronger evidence.
SAME_SOURCE_THRESHOLD = 0.998
CROSS_MIN_SHARED = 2  # a lone shared name ("OpenAI") is no evidence of one event
CROSS_MIN_NAMES = 4  # without a figure in common, this many names must agree
# Same-language pairs: a logistic model over the pair's evidence (same_language_features),
# fitted on the first round's dev and test pairs by `python -m benchmarks.events --fit`.
SAME_LANGUAGE_WEIGHTS: dict[str, float] = {
    "content": 2.686,
    "cosine": 6.451,
    "day_conflict": -1.004,
    "day_shared": -0.354,
    "figure_conflict": -2.238,
    "figure_shared": -0.022,
    "gap_days": -1.691,
    "names": 3.207,
    "names_and_content": 0.674,
    "same_source": 0.156,
    "title_cosine": 3.248,
    "title_only": 1.069,
    "type_conflict": -1.53,
    "type_shared": -0.647,
}
SAME_LANGUAGE_BIAS = -0.763
# With an embeddings endpoint (summarizer.embedding_model) the embedding can only keep apart: a
# same-language pair whose "embedding" evidence (embedding_evidence) is below this floor is not
# one event, whatever the words say. The largest multiple of 0.05 at or below every real training
# positive's evidence with all-MiniLM-L6-v2 served locally (0.217; `python -m
# benchmarks.events_embedding --endpoint URL --floor`); a model fitted with it merged more and
# did worse on the held-out split (docs/editing.md, look 5).
EMBEDDING_FLOOR = 0.2
EMBEDDING_SAMPLE = 2000  # pairs of the batch that set the scale of "no relation" (embedding_scale)
EMBEDDING_SCALE = 10.0  # the evidence is in tenths of that scale, like the other features' range
LINK_SHARE = 0.5  # half the pairs between two groups must pass for them to merge
RARE_DF_SHARE = 0.05  # candidate pairs must share tokens found in at most 5 % of stories
MAX_POSTING = 60  # ... and in at most this many: a token in more stories names no one event
MIN_SHARED_RARE = 2  # one rare token in common is chance; an event leaves several
LOCAL_PRIOR = 50  # pseudo-stories of the whole batch mixed into each day's counts (_local_idfs)

_URL = re.compile(r"https?://\S+|\S+\.(?:com|org|net|io)/\S*")


@dataclass(frozen=True)
class EventStory:
    """What the detector needs from one story (the builder passes its representative article)."""

    id: Hashable
    title: str
    text: str
    language: str
    published: datetime
    source: str = ""


@dataclass
class _Prepared:
    story: EventStory
    vector: dict[str, float]  # title (weighted) + lead: token → weight before IDF
    title_vector: dict[str, float]
    names: frozenset[str]  # Latin names, product names, aliases
    figures: frozenset[str]  # normalised numbers
    coarse: frozenset[str]  # the same at two significant digits (coarse_figures)
    day: str  # the first weekday or day of the month the title and lead name ("" when none)
    types: frozenset[str]  # kinds of event named (EVENT_TYPES)
    roundup: bool
    title_only: bool
    time: float
    tokens: frozenset[str] = field(default_factory=frozenset)

    @property
    def anchors(self) -> frozenset[str]:
        return self.names | self.figures


def _prepare(story: EventStory) -> _Prepared:
    lang = "zh" if story.language.startswith("zh") else "en"
    title = _URL.sub(" ", story.title or "")
    text = story.text or ""
    lead = "" if text.strip() == (story.title or "").strip() else _URL.sub(" ", text[:LEAD_CHARS])
    title_counts, title_anchors = read_tokens(title, lang, in_title=True)
    lead_counts, lead_anchors = read_tokens(lead, lang)
    vector: dict[str, float] = defaultdict(float)
    for tok, n in title_counts.items():
        vector[tok] += TITLE_WEIGHT * (1 + math.log(n))
    for tok, n in lead_counts.items():
        vector[tok] += 1 + math.log(n)
    title_vector = {tok: 1 + math.log(n) for tok, n in title_counts.items()}
    anchors = title_anchors | lead_anchors
    figures = frozenset(a for a in anchors if a[:1] in "#%")
    return _Prepared(story, dict(vector), title_vector, frozenset(anchors) - figures, figures,
                     coarse_figures(figures), first_day(f"{title} {lead[:400]}"),
                     event_kinds(f"{title} {lead}"), is_roundup(story.title), not lead,
                     story.published.timestamp(), frozenset(vector))


def _local_idfs(
    prepared: Sequence[_Prepared], window: timedelta
) -> tuple[list[dict[str, float]], list[float]]:
    """Per story: the IDF of its tokens among the stories published around it (its day and the
    window's days either side), and the IDF a name needs to count as rare there. What tells
    one event apart is rarity among the news of those days ("Iran" names no event on a day of
    Iran talks); a batch spanning months would otherwise make every topical word look rare.
    LOCAL_PRIOR pseudo-stories drawn from the whole batch keep quiet days from noisy counts."""
    n = len(prepared)
    glob: Counter[str] = Counter()
    per_day: dict[int, Counter[str]] = defaultdict(Counter)
    n_day: Counter[int] = Counter()
    days = [int(p.time // 86400) for p in prepared]
    for p, d in zip(prepared, days, strict=True):
        toks = p.tokens | p.anchors
        glob.update(toks)
        per_day[d].update(toks)
        n_day[d] += 1
    reach = max(1, math.ceil(window.total_seconds() / 86400))
    tables: dict[int, tuple[Counter[str], int]] = {}
    for d in set(days):
        local: Counter[str] = Counter()
        count = 0
        for e in range(d - reach, d + reach + 1):
            if e in per_day:
                local.update(per_day[e])
                count += n_day[e]
        tables[d] = (local, count)
    idfs: list[dict[str, float]] = []
    rares: list[float] = []
    for p, d in zip(prepared, days, strict=True):
        local, count = tables[d]
        total = count + LOCAL_PRIOR
        idfs.append({t: math.log((1 + total) / (1 + local[t] + LOCAL_PRIOR * glob[t] / n)) + 1.0
                     for t in p.tokens | p.anchors})
        cut = max(2.0, min(MAX_POSTING, RARE_DF_SHARE * total))
        rares.append(math.log((1 + total) / (1 + cut)) + 1.0)
    return idfs, rares


def _unit(vector: dict[str, float], idf: dict[str, float]) -> dict[str, float]:
    weighted = {t: v * idf.get(t, 1.0) for t, v in vector.items()}
    norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
    return {t: v / norm for t, v in weighted.items()}


# Sums over sets use math.fsum: exact, so the same whatever order a set iterates in (string
# hashes differ from process to process). Shared tokens are found by the sets' own intersection,
# which runs in C, so a pair costs its few shared tokens, not every token of the smaller story.


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    return math.fsum(a[t] * b[t] for t in a.keys() & b.keys())


def _mass(tokens: Iterable[str], idf: dict[str, float]) -> float:
    return math.fsum(idf.get(t, 1.0) for t in tokens)


def _cross(zh: _Prepared, en: _Prepared, idf: dict[str, float]) -> float:
    """Share of the Chinese story's anchors the English story also carries, or 0 when the
    evidence is thin: fewer than CROSS_MIN_SHARED anchors in common, no shared figure unless
    CROSS_MIN_NAMES names agree, or kinds of event that contradict each other."""
    en_side = en.anchors | en.tokens
    shared_names = zh.names & en_side
    shared_figures = frozenset(f for f in zh.figures if coarse_figures((f,)) & en.coarse)
    if len(shared_names) + len(shared_figures) < CROSS_MIN_SHARED:
        return 0.0
    if not shared_figures and len(shared_names) < CROSS_MIN_NAMES:
        return 0.0
    if zh.types and en.types and not zh.types & en.types:
        return 0.0
    total = _mass(zh.anchors, idf)
    return _mass(shared_names | shared_figures, idf) / total if total else 0.0


@dataclass(frozen=True)
class _Sides:
    """Per-story sets and their IDF mass, computed once per batch (pairs only intersect them)."""

    names: frozenset[str]  # rare names only: "AI" or "Google" in every other story says nothing
    names_mass: float
    content: frozenset[str]  # tokens that are neither names nor figures
    content_mass: float


def _sides(p: _Prepared, idf: dict[str, float], rare: float) -> _Sides:
    names = frozenset(n for n in p.names if idf.get(n, 1.0) >= rare)
    content = p.tokens - p.anchors
    return _Sides(names, _mass(names, idf), content, _mass(content, idf))


def _shared_mass(a: frozenset[str], b: frozenset[str], idf: dict[str, float]) -> float:
    return _mass(a & b, idf)


def same_language_features(
    a: _Prepared, b: _Prepared, sa: _Sides, sb: _Sides, ua: dict[str, float],
    ub: dict[str, float], ta: dict[str, float], tb: dict[str, float], idf: dict[str, float],
) -> dict[str, float]:
    """The evidence for one same-language pair (what SAME_LANGUAGE_WEIGHTS combine)."""
    smaller = min(sa.names_mass, sb.names_mass)
    names = _shared_mass(sa.names, sb.names, idf) / smaller if smaller else 0.0
    content_small = min(sa.content_mass, sb.content_mass)
    content = _shared_mass(sa.content, sb.content, idf) / content_small if content_small else 0.0
    return {
        "content": content,
        "names_and_content": names * content,  # the same actor doing the same thing
        "cosine": _cosine(ua, ub),
        "title_cosine": _cosine(ta, tb),
        "names": names,
        "figure_shared": float(bool(a.coarse & b.coarse)),
        "figure_conflict": float(bool(a.coarse and b.coarse and not a.coarse & b.coarse)),
        "type_shared": float(bool(a.types & b.types)),
        "type_conflict": float(bool(a.types and b.types and not a.types & b.types)),
        "title_only": float(a.title_only or b.title_only),
        "same_source": float(bool(a.story.source) and a.story.source == b.story.source),
        "day_shared": float(bool(a.day) and a.day == b.day),
        "day_conflict": float(bool(a.day and b.day) and a.day[0] == b.day[0] and a.day != b.day),
        "gap_days": abs(a.time - b.time) / 86400,
    }


def _same_language_score(features: dict[str, float]) -> float:
    """The same-language model's probability (0.0 for a pair the embedding keeps apart)."""
    if features.get("embedding", EMBEDDING_FLOOR) < EMBEDDING_FLOOR:
        return 0.0
    z = SAME_LANGUAGE_BIAS + sum(SAME_LANGUAGE_WEIGHTS.get(k, 0.0) * v for k, v in features.items())
    return 1.0 / (1.0 + math.exp(-z))


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(map(operator.mul, a, b))


def centred_units(vectors: Sequence[Sequence[float] | None]) -> list[array[float] | None]:
    """Each vector made unit length, the batch's mean unit vector taken out, and made unit length
    again: an embedding model puts every text in one narrow cone, so raw cosines of unrelated
    stories sit high and differ from model to model; centred, unrelated stories are near 0.
    A vector of another length than the first, or of no length, stays None. Arrays of doubles:
    a window of 7,000 stories at 384 dimensions takes 21 MB so, 86 MB as lists of floats."""
    present = [v for v in vectors if v]
    if len(present) < 2:
        return [None] * len(vectors)
    dim = len(present[0])
    units: list[array[float] | None] = []
    for v in vectors:
        norm = math.sqrt(_dot(v, v)) if v and len(v) == dim else 0.0
        units.append(array("d", (x / norm for x in v)) if v and norm else None)
    kept = [u for u in units if u is not None]
    mean = [math.fsum(column) / len(kept) for column in zip(*kept, strict=True)]
    out: list[array[float] | None] = []
    for u in units:
        if u is None:
            out.append(None)
            continue
        c = array("d", map(operator.sub, u, mean))
        norm = math.sqrt(_dot(c, c))
        out.append(array("d", (x / norm for x in c)) if norm else None)
    return out


def embedding_scale(units: Sequence[Sequence[float] | None]) -> float:
    """How far apart unrelated stories of this batch are: the root mean square centred cosine of
    EMBEDDING_SAMPLE fixed pairs (index arithmetic, so the same batch gives the same scale; nearly
    all pairs of a window are unrelated). 0.0 when there are fewer than three vectors."""
    index = [i for i, u in enumerate(units) if u is not None]
    n = len(index)
    if n < 3:
        return 0.0
    total, count = 0.0, min(EMBEDDING_SAMPLE, n * (n - 1) // 2)
    for k in range(count):
        i = k % n
        j = (i + 1 + (k // n * 7919 + k * 104729) % (n - 1)) % n
        a, b = units[index[i]], units[index[j]]
        assert a is not None and b is not None
        total += _dot(a, b) ** 2
    return math.sqrt(total / count)


def embedding_evidence(a: Sequence[float], b: Sequence[float], scale: float) -> float:
    """The "embedding" feature of a pair: its centred cosine in units of the batch's scale,
    divided by EMBEDDING_SCALE (unrelated pairs near 0; with the model measured, every real
    training same-event pair at 0.217 or more)."""
    return _dot(a, b) / scale / EMBEDDING_SCALE


Vectors = Mapping[str, Sequence[float]]  # story id (the builder's: its URL) → embedding


def pair_evidence(
    stories: Sequence[EventStory], window: timedelta = DEFAULT_WINDOW, vectors: Vectors | None = None
) -> dict[tuple[int, int], tuple[dict[str, float], bool]]:
    """(i, j) → (features, cross-language) for every candidate pair (indices into `stories`,
    i < j): within the window, neither a round-up, sharing at least one rare token. Cross-
    language pairs carry one feature, "coverage". With `vectors` (story id → its embedding), a
    same-language pair whose two stories both have one also carries "embedding"."""
    prepared = [_prepare(s) for s in stories]
    embedded = centred_units([(vectors or {}).get(str(s.id)) for s in stories])
    scale = embedding_scale(embedded)
    idfs, rares = _local_idfs(prepared, window)
    units = [_unit(p.vector, idf) for p, idf in zip(prepared, idfs, strict=True)]
    title_units = [_unit(p.title_vector, idf) for p, idf in zip(prepared, idfs, strict=True)]
    rare_cut = max(2, min(MAX_POSTING, int(RARE_DF_SHARE * len(prepared))))
    sides = [_sides(p, idf, rare) for p, idf, rare in zip(prepared, idfs, rares, strict=True)]
    df = Counter(t for p in prepared for t in p.tokens | p.anchors)
    postings: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(prepared):
        if p.roundup:
            continue
        for t in p.tokens | p.anchors:
            if df[t] <= rare_cut:
                postings[t].append(i)
    span = window.total_seconds()
    shared: Counter[tuple[int, int]] = Counter()
    for members in postings.values():
        members.sort(key=lambda i: prepared[i].time)
        for a, i in enumerate(members):
            for j in members[a + 1:]:
                if prepared[j].time - prepared[i].time > span:
                    break
                shared[(min(i, j), max(i, j))] += 1
    for key in _companion_pairs(prepared, span):
        shared[key] = max(shared[key], MIN_SHARED_RARE)
    out: dict[tuple[int, int], tuple[dict[str, float], bool]] = {}
    for key, count in shared.items():
        if count < MIN_SHARED_RARE:
            continue
        pi, pj = prepared[key[0]], prepared[key[1]]
        zi, zj = pi.story.language.startswith("zh"), pj.story.language.startswith("zh")
        if zi == zj:
            feats = same_language_features(pi, pj, sides[key[0]], sides[key[1]], units[key[0]],
                                           units[key[1]], title_units[key[0]],
                                           title_units[key[1]], idfs[key[0]])
            ea, eb = embedded[key[0]], embedded[key[1]]
            if scale and ea is not None and eb is not None:
                feats["embedding"] = embedding_evidence(ea, eb, scale)
            out[key] = (feats, False)
        else:
            zh, en = (pi, pj) if zi else (pj, pi)
            out[key] = ({"coverage": _cross(zh, en, idfs[key[0] if zi else key[1]])}, True)
    return out


def _companion_pairs(prepared: Sequence[_Prepared], span: float) -> Iterable[tuple[int, int]]:
    """(i, j), i < j: a launch and its companion document from one source within the window
    (companion_of). They are candidates whatever the rarity of their words: in a small batch the
    names they share ("ChatGPT", "agent") are in too many stories to count as rare."""
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(prepared):
        if p.story.source and not p.roundup:
            by_source[p.story.source].append(i)
    for members in by_source.values():
        for i in members:
            doc = prepared[i]
            if not is_companion(doc.story.title):
                continue
            for j in members:
                other = prepared[j]
                if (j != i and abs(other.time - doc.time) <= span
                        and companion_of(doc.story.title, other.story.title)):
                    yield (min(i, j), max(i, j))


def pair_scores(
    stories: Sequence[EventStory], window: timedelta = DEFAULT_WINDOW, vectors: Vectors | None = None
) -> dict[tuple[int, int], tuple[float, bool, bool]]:
    """(i, j) → (score, cross-language, same source) for every candidate pair: the probability
    from the same-language model (0.0 when the embedding keeps the pair apart), or the
    cross-language coverage. A launch and its companion document (companion_of: "Introducing
    ChatGPT agent" and "ChatGPT agent System Card") are not held to the stricter same-source
    threshold: the event rules make them one event, and the document's title says so."""
    out = {}
    documents = {i for i, s in enumerate(stories) if is_companion(s.title)}  # few: most pairs skip
    for (i, j), (feats, cross) in pair_evidence(stories, window, vectors).items():
        a, b = stories[i], stories[j]
        same = bool(a.source) and a.source == b.source and not (
            (i in documents and companion_of(a.title, b.title))
            or (j in documents and companion_of(b.title, a.title))
        )
        out[(i, j)] = (feats["coverage"] if cross else _same_language_score(feats), cross, same)
    return out


def _passes(score: float, cross: bool, same_source: bool = False) -> bool:
    if cross:
        return score >= CROSS_LANGUAGE_THRESHOLD
    return score >= (SAME_SOURCE_THRESHOLD if same_source else SAME_LANGUAGE_THRESHOLD)


def group_events(
    stories: Sequence[EventStory], window: timedelta = DEFAULT_WINDOW, vectors: Vectors | None = None
) -> list[tuple[Hashable, ...]]:
    """Groups of story ids that report one event (every story in exactly one group, singletons
    included), in order of each group's earliest story; the same whatever the input order.
    `vectors` (story id → embedding, from summarizer.embedding_model) keep apart same-language
    pairs whose two stories both have one and whose texts the embedding finds unrelated."""
    stories = sorted(stories, key=lambda s: (s.published, str(s.id)))
    scores = pair_scores(stories, window, vectors)
    parent = list(range(len(stories)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(stories))}
    times = [s.published.timestamp() for s in stories]
    span = window.total_seconds()

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def link(a: int, b: int) -> bool:
        """Average-link: two groups merge when at least LINK_SHARE of the pairs between them pass
        their threshold and every story of one is within the window of every story of the other."""
        ga, gb = members[a], members[b]
        both = ga + gb
        if max(times[i] for i in both) - min(times[i] for i in both) > span:
            return False
        votes = sum(
            _passes(*scores.get((min(i, j), max(i, j)), (0.0, False, False)))
            for i in ga
            for j in gb
        )
        return votes >= LINK_SHARE * len(ga) * len(gb)

    for (i, j), (score, cross, same) in sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[0])):
        if not _passes(score, cross, same):
            continue
        a, b = find(i), find(j)
        if a == b or not link(a, b):
            continue
        keep, drop = min(a, b), max(a, b)
        parent[drop] = keep
        members[keep].extend(members.pop(drop))
    groups = [sorted(m, key=lambda i: (times[i], i)) for m in members.values()]
    groups.sort(key=lambda g: (times[g[0]], g[0]))
    merged = sum(1 for g in groups if len(g) > 1)
    log.debug("events grouped stories=%d candidates=%d merged_groups=%d", len(stories),
              len(scores), merged)
    return [tuple(stories[i].id for i in g) for g in groups]


def pairs_of(groups: Iterable[Sequence[Hashable]]) -> set[frozenset[Hashable]]:
    """Every unordered pair of ids that share a group (for pairwise precision and recall)."""
    out = set()
    for g in groups:
        for a in range(len(g)):
            for b in range(a + 1, len(g)):
                out.add(frozenset((g[a], g[b])))
    return out
