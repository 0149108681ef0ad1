"""Claim matching: has this been checked already, in other words or in another language?

A text is first cleaned of what posts carry (``posts.prepare``: links, handles, hashtags,
emoji, "RT", speaker tags) and, when long and not near any claim as a whole, split into its
sentences. Candidates are the claims nearest in meaning over *every* stored vector
(``index.ClaimIndex``, one per process, built from ``ClaimEmbedding`` rows), and on
PostgreSQL also the claims sharing the rarest words (the generated ``match_vector`` column
and its GIN index) — added to the dense ones, never in their place. Each candidate is scored
with the multilingual-e5-small cosine blended with shared words and figures, keeping the best
of the whole text and its nearest sentence; a pair whose figures, names, polarity or direction
of change disagree is never a duplicate (the conflicts are listed with the match) but ranks by
its score alone: on real-shaped posts most such conflicts are a post's own noise ("Joe" for
"Joe Biden", a name in another language), and lowering the score for them lost the right claim.

New claims are indexed and matched by a worker after their transaction commits, whatever the
channel; a periodic sweep catches claims whose message was lost, claims whose text changed and
claims embedded by an older model.
"""

from __future__ import annotations

import heapq
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from claims.choices import ClaimStatus, MatchKind
from claims.matching import embeddings
from claims.matching.comparison import ClaimFeatures, contradictions, features, word_overlap
from claims.matching.index import Hit, claim_index
from claims.matching.posts import PreparedText, prepare
from claims.models import Claim, ClaimEmbedding, ClaimMatch
from claims.normalize import clean_claim_text
from factcheck import metrics
from factcheck.queue import tasks_send

logger = logging.getLogger(__name__)

# Keep in step with claims/migrations/0003_matching.py, which builds match_vector with the same mapping.
TS_CONFIGS = {
    "da": "danish", "de": "german", "en": "english", "es": "spanish", "fi": "finnish", "fr": "french",
    "hu": "hungarian", "it": "italian", "nl": "dutch", "no": "norwegian", "nb": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sv": "swedish", "tr": "turkish",
}  # fmt: skip
MAX_QUERY_TERMS = 32
MAX_QUERY_CHARS = 5_000  # the longest claim intake accepts
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
COSINE_WEIGHT = 0.85  # the rest goes to shared words and figures
MATCHES_KEPT = 10  # links stored per claim
MATCH_TASK = "claims.tasks.match_claims"
INDEX_TASK = "claims.tasks.index_claims"
TASK_BATCH = 200
SWEEP_BATCH = 2_000
SWEEP_GRACE_SECONDS = 60
DENSE_MIN_PER_TEXT = 20  # nearest claims kept per compared text (the whole and each sentence)
DENSE_FILTER_MARGIN = 20
# A long text whose whole is this near a claim is not also compared sentence by sentence: chosen on the dev
# split of bench/data/retrieval (centred vectors) for MAP@5 and tweets' p95: dev MAP@5 0.941 here (an eighth of
# the posts split), 0.944 at 0.40 (a quarter), 0.946 at 0.50 and when every long text is split, 0.929 with no
# sentences; dev tweets' p95 136 ms here, 143–192 ms at 0.40 in the same interleaved runs.
SEGMENTS_BELOW_COSINE = 0.35


@dataclass(frozen=True)
class _Filters:
    exclude_claim_id: int | None = None
    before_claim_id: int | None = None
    published_only: bool = False

    def q(self) -> Q:
        q = Q()
        if self.exclude_claim_id is not None:
            q &= ~Q(pk=self.exclude_claim_id)
        if self.before_claim_id is not None:
            q &= Q(pk__lt=self.before_claim_id)
        if self.published_only:
            q &= Q(status=ClaimStatus.PUBLISHED)
        return q


@dataclass(frozen=True)
class SimilarClaim:
    claim_id: int
    text: str
    score: float
    kind: str  # MatchKind value, or "" below the similar threshold
    status: str = ""
    language: str = ""
    conflicts: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        return {"claim_id": self.claim_id, "text": self.text, "score": self.score, "kind": self.kind}


# Other apps add what they know of matched claims (reviews: the published verdict), without claims importing them.
_MATCH_ANNOTATORS: list[Callable[[list[int]], dict[int, dict]]] = []


def register_match_annotator(annotate: Callable[[list[int]], dict[int, dict]]) -> None:
    """``annotate(claim_ids) -> {claim_id: {field: value}}`` adds fields to every match shown."""
    if annotate not in _MATCH_ANNOTATORS:
        _MATCH_ANNOTATORS.append(annotate)


def claims_annotations(claim_ids: list[int]) -> dict[int, dict]:
    """What other apps know of these claims (reviews: ``verdict_id``, ``verdict_url``, ``rating`` when published)."""
    found: dict[int, dict] = {}
    for annotate in _MATCH_ANNOTATORS:
        for claim_id, extra in (annotate(claim_ids) if claim_ids else {}).items():
            found.setdefault(claim_id, {}).update(extra)
    return found


def matches_as_dicts(matches: Iterable[SimilarClaim]) -> list[dict]:
    """Matches as the API and pages show them, with what other apps add (e.g. ``verdict_id``)."""
    matches = list(matches)
    rows = [match.as_dict() for match in matches]
    extra = claims_annotations([match.claim_id for match in matches])
    for row in rows:
        row.update(extra.get(row["claim_id"], {}))
    return rows


def ts_config(language: str | None) -> str:
    return TS_CONFIGS.get((language or "en").split("-")[0].lower(), "simple")


def match_kind(score: float, a: ClaimFeatures, b: ClaimFeatures, conflicts: Iterable[str] = ()) -> str:
    """Duplicate, similar or nothing; short texts need the stricter duplicate threshold."""
    duplicate_at = settings.MATCH_DUPLICATE_THRESHOLD
    if min(a.size, b.size) < settings.MATCH_SHORT_TEXT_WORDS:
        duplicate_at = max(duplicate_at, settings.MATCH_SHORT_DUPLICATE_THRESHOLD)
    if score >= duplicate_at and not list(conflicts):
        return MatchKind.DUPLICATE
    if score >= settings.MATCH_SIMILAR_THRESHOLD:
        return MatchKind.SIMILAR
    return ""


def rescaled_cosine(cosine: float | np.ndarray) -> float | np.ndarray:
    """The model's cosine on a 0–1 scale where 0 is what two unrelated texts score."""
    floor = embeddings.UNRELATED_COSINE
    return np.clip((cosine - floor) / (1.0 - floor), 0.0, 1.0)


def score_bound(cosine: np.ndarray) -> np.ndarray:
    """The most a pair with this cosine can score, whatever words they share (overlap is at most 1)."""
    return np.minimum(1.0, COSINE_WEIGHT * rescaled_cosine(cosine) + (1 - COSINE_WEIGHT))


def pair_score(a_vector: np.ndarray, a: ClaimFeatures, b_vector: np.ndarray, b: ClaimFeatures) -> tuple[float, list]:
    """Score in 0–1 for two texts, and what contradicts them."""
    return _score(float(np.dot(a_vector, b_vector)), a, b)


def _score(cosine: float, a: ClaimFeatures, b: ClaimFeatures) -> tuple[float, list]:
    score = COSINE_WEIGHT * float(rescaled_cosine(cosine)) + (1 - COSINE_WEIGHT) * word_overlap(a, b)
    return round(min(1.0, max(0.0, score)), 3), contradictions(a, b)


def find_similar(
    text: str,
    *,
    limit: int = 10,
    language: str | None = None,
    exclude_claim_id: int | None = None,
    before_claim_id: int | None = None,
    published_only: bool = False,
    min_score: float | None = None,
    vector: np.ndarray | None = None,
) -> list[SimilarClaim]:
    """Earlier claims saying what ``text`` says, best first (by default only similar or duplicate ones).

    The text is cleaned of what posts carry (links, handles, emoji…) and, when long and no claim is
    near it as a whole, compared sentence by sentence too; each claim keeps its best-scoring
    sentence. Candidates are the nearest claims by meaning over *every* stored vector, plus on
    PostgreSQL the claims sharing the rarest words, so a restatement in other words (or another
    language) is never lost for want of a shared word. ``vector`` is the cleaned text's embedding when the caller has it.
    """
    with metrics.matching_seconds.time():
        return _find_similar(
            text,
            limit=limit,
            language=language,
            exclude_claim_id=exclude_claim_id,
            before_claim_id=before_claim_id,
            published_only=published_only,
            min_score=min_score,
            vector=vector,
        )


def _find_similar(
    text: str,
    *,
    limit: int = 10,
    language: str | None = None,
    exclude_claim_id: int | None = None,
    before_claim_id: int | None = None,
    published_only: bool = False,
    min_score: float | None = None,
    vector: np.ndarray | None = None,
) -> list[SimilarClaim]:
    text = _CONTROL.sub(" ", clean_claim_text(text or "")[:MAX_QUERY_CHARS]).strip()
    if not text or limit <= 0:
        return []
    if min_score is None:
        min_score = settings.MATCH_SIMILAR_THRESHOLD
    prepared = prepare(text, language)
    filters = _Filters(exclude_claim_id, before_claim_id, published_only)
    # The whole text is embedded while PostgreSQL looks up its words.
    pending = embeddings.embed_soon([prepared.text]) if vector is None else None
    lexical = _candidates_fulltext(prepared.text, language, filters) if connection.vendor == "postgresql" else []
    whole = pending.result()[0] if pending else np.asarray(vector, dtype=np.float32)
    vectors, candidate_ids = _candidates_dense(prepared, whole, filters)
    candidate_ids |= set(lexical)
    if not candidate_ids:
        return []
    rows = {
        row["id"]: row
        for row in Claim.objects.filter(filters.q(), pk__in=candidate_ids).values(
            "id", "text", "text_key", "status", "language"
        )
    }
    if not rows:
        return []
    ids = list(rows)
    stored = _vectors_of(rows.values())
    cosines = vectors @ np.vstack([stored[claim_id] for claim_id in ids]).T  # texts × candidates
    nearest = np.argmax(cosines, axis=0)  # per candidate, the compared text nearest in meaning
    bounds = score_bound(cosines[nearest, np.arange(len(ids))])
    query_features = [features(part) for part in prepared.all]
    if prepared.segments:  # the whole of a long text: its sentences carry their own polarity and direction
        query_features[0] = query_features[0].of_passage()
    found: list[SimilarClaim] = []
    best_scores: list[float] = []  # min-heap of the ``limit`` best scores so far
    # Best bound first; stop when no candidate left can reach ``min_score`` or displace the ``limit``-th best.
    for column in np.argsort(-bounds, kind="stable"):
        bound = float(bounds[column]) + 0.0005  # scores are rounded to 3 decimals
        if bound < min_score or (len(best_scores) >= limit and bound < best_scores[0]):
            break
        claim_id = ids[column]
        row = rows[claim_id]
        candidate_features = features(row["text"])
        # The whole text, and the sentence nearest in meaning: the better of the two counts.
        best = int(nearest[column])
        score, conflicts = max(
            (_score(float(cosines[i, column]), query_features[i], candidate_features) for i in {0, best}),
            key=lambda scored: scored[0],
        )
        if score < min_score:
            continue
        if prepared.segments and best == 0:
            # The whole of a long text has no one polarity or direction: its sentence that restates
            # the candidate does ("5G masts do not spread viruses. Stop burning masts" is no duplicate).
            conflicts = [
                *conflicts,
                *_polarity_conflicts(query_features, candidate_features, cosines[:, column], conflicts),
            ]
        kind = match_kind(score, query_features[best], candidate_features, conflicts)
        found.append(SimilarClaim(claim_id, row["text"], score, kind, row["status"], row["language"], tuple(conflicts)))
        if len(best_scores) < limit:
            heapq.heappush(best_scores, score)
        elif score > best_scores[0]:
            heapq.heapreplace(best_scores, score)
    found.sort(key=lambda match: (-match.score, -match.claim_id))
    return found[:limit]


def _restating_sentence(parts: list[ClaimFeatures], candidate: ClaimFeatures, cosines: np.ndarray) -> int | None:
    """Which sentence of a long text (``parts[1:]``) restates the candidate: the nearest in meaning when
    the sentences were embedded (``cosines`` has a row per part), else the one sharing the most words
    (None when none shares a word, as in another language: no sentence is known to restate it)."""
    if len(cosines) == len(parts):
        return 1 + int(np.argmax(cosines[1:]))
    sentence = max(range(1, len(parts)), key=lambda i: word_overlap(parts[i], candidate))
    return sentence if word_overlap(parts[sentence], candidate) > 0 else None


def _polarity_conflicts(
    parts: list[ClaimFeatures], candidate: ClaimFeatures, cosines: np.ndarray, known: list[str]
) -> list[str]:
    """The negation and direction conflicts with the candidate of the long text's restating sentence, beyond ``known``."""
    sentence = _restating_sentence(parts, candidate, cosines)
    if sentence is None:
        return []
    found = contradictions(parts[sentence], candidate)
    return [reason for reason in found if reason in ("negation", "direction") and reason not in known]


def _candidates_dense(prepared: PreparedText, vector: np.ndarray, filters: _Filters) -> tuple[np.ndarray, set[int]]:
    """The vectors compared (``vector``, the whole text's, first) and the claims nearest in meaning to any of them.

    Every stored vector is searched. A long text's sentences are embedded and searched too (half
    the time of a long post) only when its whole finds no claim at ``SEGMENTS_BELOW_COSINE``.
    """
    whole = vector[None, :]
    among = list(Claim.objects.filter(filters.q()).values_list("id", flat=True)) if filters.published_only else None
    hits = _dense_hits(whole, filters, _per_text(1), among)
    if not prepared.segments or (hits[0] and hits[0][0].score >= SEGMENTS_BELOW_COSINE):
        return whole, {hit.claim_id for hit in hits[0]}
    segments = embeddings.embed(list(prepared.segments))
    per_text = _per_text(1 + len(segments))
    hits = [hits[0][:per_text], *_dense_hits(segments, filters, per_text, among, fresh=False)]
    return np.vstack([whole, segments]), {hit.claim_id for row in hits for hit in row}


def _per_text(texts: int) -> int:
    """Nearest claims kept per compared text: ``MATCH_CANDIDATES`` shared among them, at least a few each."""
    return max(DENSE_MIN_PER_TEXT, settings.MATCH_CANDIDATES // texts)


def _dense_hits(
    vectors: np.ndarray, filters: _Filters, k: int, among: list[int] | None, *, fresh: bool = True
) -> list[list[Hit]]:
    """Per vector, its ``k`` nearest claims that ``filters`` allow (``among``: the published ids), nearest first.

    The index catches up once (unless ``fresh`` is false: the whole text's search just did).
    """
    index = claim_index()
    if among is not None:
        return [index.search_among(vector, among, k, fresh=fresh and i == 0) for i, vector in enumerate(vectors)]
    # Ask for more than needed: the few claims the filters leave out must not shorten the list.
    return [
        [
            hit
            for hit in row
            if hit.claim_id != filters.exclude_claim_id
            and (filters.before_claim_id is None or hit.claim_id < filters.before_claim_id)
        ][:k]
        for row in index.search(vectors, k + DENSE_FILTER_MARGIN, fresh=fresh)
    ]


@dataclass
class _LexemeStats:
    """How common each word is among claims, from PostgreSQL's own statistics (refreshed by ANALYZE)."""

    claims: float = 0.0
    frequencies: dict[str, float] = field(default_factory=dict)
    rare: float = 0.0  # the frequency of a word too rare to be listed
    loaded_at: float = float("-inf")


_stats = _LexemeStats()
_stats_lock = threading.Lock()
STATS_SECONDS = 300
STATS_MIN_SECONDS = 5  # an overflowing lookup re-reads them, but not more often than this
LOOKUP_CAP_FACTOR = 3  # a lookup stops at this many times MATCH_CANDIDATE_ROWS claims
# Words in more than this share of claims are never looked up, even in pairs: reading their index entries costs
# more than they narrow the search.
PAIR_WORD_MAX_FREQUENCY = 0.02
PAIRED_WORDS = 6  # the rarest words beyond those looked up alone, looked up two by two (15 pairs at most)


def _lexeme_stats_refresh() -> bool:
    """Read the statistics again now; False when they were read a moment ago (nothing newer to learn)."""
    if time.monotonic() - _stats.loaded_at < STATS_MIN_SECONDS:
        return False
    _stats.loaded_at = float("-inf")
    _lexeme_stats()
    return True


def _lexeme_stats() -> _LexemeStats:
    global _stats
    if time.monotonic() - _stats.loaded_at < STATS_SECONDS:
        return _stats
    with _stats_lock, connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs"
            " FROM pg_class c LEFT JOIN pg_stats s ON s.tablename = c.relname AND s.attname = 'match_vector'"
            " AND s.schemaname = current_schema() WHERE c.relname = 'claims_claim' AND c.relkind = 'r'"
        )
        row = cursor.fetchone()
        claims, words, freqs = (row or (0.0, None, None))[:3]
        frequencies = dict(zip(words or [], freqs or [], strict=False))
        rare = min(frequencies.values(), default=0.0) / 2
        _stats = _LexemeStats(max(float(claims or 0), 0.0), frequencies, rare, time.monotonic())
    return _stats


def _tsquery(lexemes: Iterable[str], operator: str = " | ") -> str:
    """Lexemes as tsquery operands, quoted (a backslash and a quote are escaped inside quotes)."""
    quoted = (lexeme.replace("\\", "\\\\").replace("'", "''") for lexeme in lexemes)
    return operator.join(f"'{lexeme}'" for lexeme in quoted)


def _candidate_query(lexemes: list[str]) -> str:
    """Words to look claims up by, within a budget of rows the index hands back.

    A word found in a tenth of all claims finds nothing in particular and costs a tenth of the
    table to rank. The rarest words (names, places, figures) go in alone while their estimated
    rows fit ``MATCH_CANDIDATE_ROWS``; the next ones must occur in pairs, which stay selective
    on any size of desk (a restatement shares most of its words with the claim it restates);
    the commonest words are left to the ranking. On a small desk every word fits alone, so
    every claim sharing a word is a candidate.
    """
    stats = _lexeme_stats()
    budget = settings.MATCH_CANDIDATE_ROWS

    def frequency(lexeme: str) -> float:
        return stats.frequencies.get(lexeme, stats.rare)

    by_rarity = sorted(lexemes, key=lambda lexeme: (frequency(lexeme), lexeme))
    alone, spent = [], 0.0
    for lexeme in by_rarity:
        rows = frequency(lexeme) * stats.claims
        if spent + rows > budget:
            break
        alone.append(lexeme)
        spent += rows
    paired = [lx for lx in by_rarity if lx not in alone and frequency(lx) <= PAIR_WORD_MAX_FREQUENCY][:PAIRED_WORDS]
    pairs = [
        f"({_tsquery([a, b], ' & ')})"
        for i, a in enumerate(paired)
        for b in paired[i + 1 :]
        if frequency(a) * frequency(b) * stats.claims <= budget
    ]
    if not alone and not pairs:  # a one-word text on a big desk: its rarest word, the ranking does the rest
        alone = by_rarity[:1]
    return " | ".join([part for part in (_tsquery(alone),) if alone] + pairs)


def _candidates_fulltext(text: str, language: str | None, filters: _Filters) -> list[int]:
    """The claims sharing the most (and the rarest) words with ``text``, from the GIN index (PostgreSQL)."""
    config = ts_config(language)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tsvector_to_array(to_tsvector(%s::regconfig, %s))", [config, text])
        lexemes = cursor.fetchone()[0] or []
    if not lexemes:
        return []
    lexemes = sorted(lexemes, key=len, reverse=True)[:MAX_QUERY_TERMS]
    cap = settings.MATCH_CANDIDATE_ROWS * LOOKUP_CAP_FACTOR
    ids, looked_up = _lookup(lexemes, filters, cap)
    if looked_up >= cap and _lexeme_stats_refresh():
        # The estimates were off (the desk grew since PostgreSQL's statistics were read): read them
        # again and look up once more rather than rank an arbitrary slice of the claims.
        ids, _ = _lookup(lexemes, filters, cap)
    return ids


def _lookup(lexemes: list[str], filters: _Filters, cap: int) -> tuple[list[int], int]:
    """The best ``MATCH_CANDIDATES`` ids by ``ts_rank``, and how many claims the words found (at most ``cap``)."""
    with connection.cursor() as cursor:
        # The inner LIMIT bounds the ranking work whatever the estimates said.
        cursor.execute(
            "SELECT id, count(*) OVER () FROM (SELECT id, match_vector FROM claims_claim"
            " WHERE match_vector @@ %(lookup)s::tsquery"
            " AND (%(exclude)s::bigint IS NULL OR id <> %(exclude)s)"
            " AND (%(before)s::bigint IS NULL OR id < %(before)s)"
            " AND (NOT %(published)s OR status = %(status)s) LIMIT %(rows)s) AS found"
            " ORDER BY ts_rank(match_vector, %(rank)s::tsquery) DESC, id DESC LIMIT %(limit)s",
            {
                "lookup": _candidate_query(lexemes),
                "rank": _tsquery(lexemes),
                "exclude": filters.exclude_claim_id,
                "before": filters.before_claim_id,
                "published": filters.published_only,
                "status": ClaimStatus.PUBLISHED.value,
                "rows": cap,
                "limit": settings.MATCH_CANDIDATES,
            },
        )
        rows = cursor.fetchall()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


def _vectors_of(rows: Iterable[dict]) -> dict[int, np.ndarray]:
    """Current vectors of these claims, embedding (and storing) those not indexed yet or edited since.

    The index the search just caught up holds most of them; the others are read from the database.
    """
    rows = list(rows)
    vectors = claim_index().vectors_of({row["id"]: row["text_key"] for row in rows})
    rows = [row for row in rows if row["id"] not in vectors]
    if not rows:
        return vectors
    stored = {
        claim_id: (text_key, vector, model)
        for claim_id, text_key, vector, model in ClaimEmbedding.objects.filter(
            claim_id__in=[r["id"] for r in rows]
        ).values_list("claim_id", "text_key", "vector", "model")
    }
    missing = []
    for row in rows:
        entry = stored.get(row["id"])
        if entry and entry[0] == row["text_key"] and entry[2] == embeddings.MODEL_NAME:
            vectors[row["id"]] = embeddings.from_bytes(entry[1])
        else:
            missing.append(row)
    if missing:
        computed = embeddings.embed([prepare(row["text"], row["language"]).text for row in missing])
        for row, vector in zip(missing, computed, strict=True):
            vectors[row["id"]] = vector
        _vectors_store([(row["id"], row["text_key"], vector) for row, vector in zip(missing, computed, strict=True)])
    return vectors


def _vectors_store(items: list[tuple[int, str, np.ndarray]]) -> None:
    """Upsert vectors; a new or changed text is not matched yet, so the sweep still matches it."""
    rows = [
        ClaimEmbedding(
            claim_id=claim_id, text_key=text_key, model=embeddings.MODEL_NAME, vector=embeddings.to_bytes(vector)
        )
        for claim_id, text_key, vector in items
    ]
    ClaimEmbedding.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["claim"],
        update_fields=["text_key", "model", "vector", "matched", "updated_at"],
    )


def claims_index(claim_ids: Iterable[int]) -> int:
    """Store current embeddings for these claims; claims already current are left alone."""
    claims = list(
        Claim.objects.filter(pk__in=list(claim_ids))
        .exclude(embedding__text_key=F("text_key"), embedding__model=embeddings.MODEL_NAME)
        .values_list("id", "text", "text_key", "language")
    )
    if not claims:
        return 0
    vectors = embeddings.embed([prepare(text, language).text for _, text, _, language in claims])
    _vectors_store([(claim_id, text_key, v) for (claim_id, _, text_key, _), v in zip(claims, vectors, strict=True)])
    return len(claims)


def claim_match(claim_id: int) -> list[ClaimMatch]:
    """Link a claim to the earlier claims it duplicates or resembles, replacing earlier links."""
    claim = Claim.objects.filter(pk=claim_id).values("id", "text", "text_key", "language").first()
    if claim is None:
        return []
    stored = ClaimEmbedding.objects.filter(
        claim_id=claim_id, text_key=claim["text_key"], model=embeddings.MODEL_NAME
    ).values_list("vector", flat=True)
    vector = next((embeddings.from_bytes(data) for data in stored), None)  # indexed just before: no second embedding
    found = find_similar(
        claim["text"], limit=MATCHES_KEPT, language=claim["language"], before_claim_id=claim_id, vector=vector
    )
    links = [
        ClaimMatch(claim_id=claim_id, matched_id=match.claim_id, score=match.score, kind=match.kind)
        for match in found
        if match.kind
    ]
    with transaction.atomic():
        ClaimMatch.objects.filter(claim_id=claim_id).delete()
        ClaimMatch.objects.bulk_create(links, ignore_conflicts=True)
        ClaimEmbedding.objects.filter(claim_id=claim_id, text_key=claim["text_key"]).update(matched=True)
    return links


def claims_match(claim_ids: Iterable[int]) -> int:
    """Index, then match, a batch of claims (idempotent: running it twice gives the same links)."""
    ids = sorted(set(claim_ids))
    claims_index(ids)
    for claim_id in ids:
        claim_match(claim_id)
    return len(ids)


def claims_match_enqueue(claim_ids: Iterable[int]) -> int:
    """Hand claims to the matcher in batches. A broker outage is not an error: the sweep catches up.

    More than one batch (a bulk import, a sweep) is embedded batch by batch before any of it is matched:
    embedding is fast and makes the whole import findable, while matching every claim takes longer.
    """
    ids = list(claim_ids)
    batches = [ids[start : start + TASK_BATCH] for start in range(0, len(ids), TASK_BATCH)]
    if len(batches) > 1:  # best effort: each match task embeds its own batch anyway
        tasks_send(INDEX_TASK, [(batch,) for batch in batches], what="claim batch(es) to embed")
    sent = tasks_send(MATCH_TASK, [(batch,) for batch in batches], what="claim batch(es)")
    return sum(len(batch) for batch in batches[:sent])


def claims_unmatched():
    """Claims never matched with their current text and model: no embedding, an older one, or not matched yet."""
    grace = timezone.now() - timezone.timedelta(seconds=SWEEP_GRACE_SECONDS)
    current = Q(embedding__text_key=F("text_key"), embedding__model=embeddings.MODEL_NAME, embedding__matched=True)
    return Claim.objects.filter(created_at__lt=grace).exclude(current)


def claims_match_sweep() -> int:
    """Queue claims never indexed (lost message, worker killed) or edited since they were indexed."""
    ids = list(claims_unmatched().order_by("id").values_list("id", flat=True)[:SWEEP_BATCH])
    return claims_match_enqueue(ids) if ids else 0
