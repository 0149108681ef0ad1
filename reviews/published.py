"""Published verdicts as the outside world reads them: one queryset and one payload.

The consumer API, the export, the webhooks and the feeds all read verdicts through
:func:`published_verdicts` and show them with :func:`verdict_payload`, so that a verdict
looks the same wherever it is read.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from claims.choices import ClaimStatus
from claims.models import Citation, Claim, Source
from claims.selectors import language_filter
from factcheck.cache import cache_or
from reviews.choices import Action
from reviews.claimreview import absolute_url, scale_bounds, verdict_public_url
from reviews.markdown import render_markdown
from reviews.models import Rating, Verdict, VerdictVersion, WorkflowEvent

PUBLIC_STATES = (ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED)
PUBLIC_ACTIONS = {Action.CORRECT: "correction", Action.RETRACT: "retraction"}

Bounds = tuple[float | None, float | None]


def published_verdicts_base() -> QuerySet[Verdict]:
    """Published or retracted verdicts, annotated with ``changed_at`` (last public change); no joins loaded.

    Use it for validators and counts; :func:`published_verdicts` for serialising.
    """
    return Verdict.objects.filter(
        published_version__isnull=False, published_at__isnull=False, claim__status__in=PUBLIC_STATES
    ).annotate(changed_at=Coalesce(F("updated_at"), F("published_at")))


def published_verdicts() -> QuerySet[Verdict]:
    """Published or retracted verdicts with what :func:`verdict_payload` reads, in a fixed number of queries."""
    return (
        published_verdicts_base()
        .select_related(
            "claim", "published_version__rating", "published_version__author", "published_version__approved_by"
        )
        .prefetch_related(
            "claim__tags",
            Prefetch("claim__citations", queryset=Citation.objects.select_related("source").order_by("id")),
            Prefetch(
                "claim__events",
                queryset=WorkflowEvent.objects.filter(public=True, action__in=list(PUBLIC_ACTIONS)).order_by(
                    "created_at", "id"
                ),
                to_attr="public_events",
            ),
        )
    )


# A prefix query from PostgreSQL's own parser, so that the query's words split like the document's
# ("covid-19", "3.5", "example.org"). Computed first and passed as a constant, so that the planner
# can estimate how common the words are.
PREFIX_QUERY_SQL = "SELECT string_agg(quote_literal(lexeme) || ':*', ' & ') FROM unnest(to_tsvector('simple', %s))"
SEARCH_SQL = f"SELECT id FROM {Verdict._meta.db_table} WHERE search_document @@ %s::tsquery"  # noqa: S608 -- the query is a parameter
# Up to this many matches the ids themselves go into the query: a prefix query's estimate is
# rough, and PostgreSQL would otherwise walk every verdict newest first looking for a rare word.
SEARCH_ID_LIST = 1000


def text_search(query: str) -> Q:
    """Every word of ``query`` begins a word of the claim's text, its claimant or the published summary.

    On PostgreSQL a GIN-indexed tsvector (``reviews/migrations/0005_published_state.py``)
    answers, and this runs two short queries at once: a rare word's few matches become an
    id list (fetched by primary key, then sorted); a common word stays a subquery (walking
    the newest verdicts meets matches at once). Elsewhere each word is a substring match.
    """
    words = query.split()[:20]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(PREFIX_QUERY_SQL, [" ".join(words)])
            prefix_query = cursor.fetchone()[0]
            if prefix_query is None:  # only punctuation: no word to look for
                return Q(pk__in=[])
            cursor.execute(f"{SEARCH_SQL} LIMIT %s", [prefix_query, SEARCH_ID_LIST + 1])
            ids = [row[0] for row in cursor.fetchall()]
        if len(ids) <= SEARCH_ID_LIST:
            return Q(pk__in=ids)
        return Q(pk__in=RawSQL(SEARCH_SQL, [prefix_query]))  # noqa: S611 -- constant SQL, the query as a parameter
    condition = Q()
    for word in words:
        # Subqueries per table let PostgreSQL use the trigram indexes on claim text and claimant.
        claims = Claim.objects.filter(Q(text__icontains=word) | Q(claimant__icontains=word)).values("id")
        versions = VerdictVersion.objects.filter(summary__icontains=word).values("id")
        condition &= Q(claim_id__in=claims) | Q(published_version_id__in=versions)
    return condition


def language_match(language: str) -> Q:
    """``en`` matches claims in ``en`` and in ``en-GB``; ``en-GB`` only ``en-GB`` (case-insensitive)."""
    return language_filter([language], field="claim__language")


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def verdict_status(verdict: Verdict) -> str:
    if verdict.retracted_at is not None or verdict.claim.status == ClaimStatus.RETRACTED:
        return "retracted"
    return "published"


def verdict_payload(verdict: Verdict, *, bounds: Bounds | None = None) -> dict[str, Any]:
    """The verdict as the API shows it. Load it through :func:`published_verdicts`.

    Pass ``bounds`` (from :func:`reviews.claimreview.scale_bounds`) when serialising many verdicts.
    """
    claim = verdict.claim
    version = verdict.published_version
    rating = version.rating
    worst, best = bounds if bounds is not None else scale_bounds()
    if rating.value is not None:  # the verdict's own value always lies within the bounds shown
        worst = rating.value if worst is None else min(worst, rating.value)
        best = rating.value if best is None else max(best, rating.value)
    url = verdict_public_url(verdict)
    events = getattr(claim, "public_events", None)
    if events is None:
        events = claim.events.filter(public=True, action__in=list(PUBLIC_ACTIONS)).order_by("created_at", "id")
    sources = []
    for citation in claim.citations.all():
        source = citation.source
        archived = source.fetched_at is not None
        sources.append(
            {
                "id": source.pk,
                "url": source.url,
                "title": source.title,
                "archived_url": f"{url}sources/{source.pk}/archive/" if archived else None,
                "archived_at": iso(source.fetched_at),
            }
        )
    return {
        "id": verdict.pk,
        "url": url,
        "slug": verdict.slug,
        "status": verdict_status(verdict),
        "claim": {
            "id": claim.pk,
            "text": claim.text,
            "claimant": claim.claimant,
            "claim_date": iso(claim.claim_date),
            "appearances": [claim.appeared_at] if claim.appeared_at else [],
        },
        "rating": {
            "label": rating.label,
            "slug": rating.slug,
            "value": rating.value,
            "best": best,
            "worst": worst,
        },
        "summary": version.summary,
        "analysis": version.analysis,
        "analysis_html": render_markdown(version.analysis) if version.analysis else "",
        "evidence": [{"url": item.get("url", ""), "note": item.get("note", "")} for item in version.evidence or []],
        "sources": sources,
        "language": claim.language,
        "tags": sorted(tag.name for tag in claim.tags.all()),
        "author": _person(version.author),
        "editor": _person(version.approved_by),
        "published_at": iso(verdict.published_at),
        "updated_at": iso(verdict.updated_at or verdict.published_at),
        "retracted_at": iso(verdict.retracted_at),
        "version": version.number,
        "corrections": [
            {"date": iso(event.created_at), "kind": PUBLIC_ACTIONS[event.action], "note": event.comment}
            for event in events
        ],
    }


# --- What changed since: one version for everything above -----------------------------------------


def published_set_version() -> int | None:
    """A number that changes, in the writing transaction, with anything a published verdict's reader sees.

    Database triggers (``reviews/migrations/0005_published_state.py``) bump it on every
    change of a public verdict, its claim, sources, tags, corrections, rating scale or
    people's names, also through queryset updates and raw SQL. Pages and validators keyed
    by it are therefore current as soon as a change commits. None where the triggers do
    not exist (not PostgreSQL): callers fall back to :func:`with_fingerprint`.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM reviews_published_state WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


# --- Cached payloads for pages ------------------------------------------------------------------

# Bump when verdict_payload's output changes, so that cached payloads are not served any more.
PAYLOAD_CACHE_VERSION = "1"
PAYLOAD_CACHE_TIMEOUT = 24 * 3600


def _fingerprint_sql() -> tuple[str, list[str]]:
    """SQL for one hash per verdict row over everything :func:`verdict_payload` reads.

    A row's hash changes whenever its payload would: publish, correction, retraction, a
    cited source's new snapshot or recheck (also through queryset updates, which fire no
    signals), tags, its rating or the scale's bounds edited, a name changed. Plain SQL
    (``||``, ``COALESCE``, ``CAST``, ``MD5``) that PostgreSQL and SQLite both run, written
    once: the ORM takes a long time to compile the same thing as expressions.
    """
    sep = "'\x1f'"

    def joined(*columns: str) -> str:
        return f" || {sep} || ".join(f"COALESCE(CAST({column} AS TEXT), '')" for column in columns)

    verdict = Verdict._meta.db_table
    user = get_user_model()._meta.db_table
    actions = list(PUBLIC_ACTIONS)
    placeholders = ", ".join(["%s"] * len(actions))
    parts = [
        joined(*(f"{verdict}.{c}" for c in ("id", "published_at", "updated_at", "slug", "retracted_at"))),
        joined(f"{verdict}.published_version_id", f"{verdict}.claim_id"),
        f"(SELECT {joined('c.status', 'c.text', 'c.claimant', 'c.claim_date', 'c.appeared_at', 'c.language')}"  # noqa: S608 -- table names from model metadata, values as params
        f" FROM {Claim._meta.db_table} c WHERE c.id = {verdict}.claim_id)",
        f"(SELECT {joined('r.label', 'r.slug', 'r.value', 'a.username', 'a.first_name', 'a.last_name')}"  # noqa: S608 -- table names from model metadata, values as params
        f" || {sep} || {joined('e.username', 'e.first_name', 'e.last_name')}"
        f" FROM {VerdictVersion._meta.db_table} vv JOIN {Rating._meta.db_table} r ON r.id = vv.rating_id"
        f" JOIN {user} a ON a.id = vv.author_id LEFT JOIN {user} e ON e.id = vv.approved_by_id"
        f" WHERE vv.id = {verdict}.published_version_id)",
        f"(SELECT {joined('COUNT(*)', 'SUM(s.id)', 'MAX(s.fetched_at)', 'COUNT(s.fetched_at)')}"  # noqa: S608 -- table names from model metadata, values as params
        f" || {sep} || {joined('MAX(s.last_checked_at)', 'SUM(LENGTH(s.title))', 'SUM(LENGTH(s.url))')}"
        f" FROM {Citation._meta.db_table} ci JOIN {Source._meta.db_table} s ON s.id = ci.source_id"
        f" WHERE ci.claim_id = {verdict}.claim_id)",
        f"(SELECT {joined('COUNT(*)', 'SUM(t.tag_id)')} FROM {Claim.tags.through._meta.db_table} t"  # noqa: S608 -- table names from model metadata, values as params
        f" WHERE t.claim_id = {verdict}.claim_id)",
        f"(SELECT {joined('COUNT(*)', 'MAX(w.id)')} FROM {WorkflowEvent._meta.db_table} w"  # noqa: S608 -- table names from model metadata, values as params
        f" WHERE w.claim_id = {verdict}.claim_id AND w.public AND w.action IN ({placeholders}))",
        f"(SELECT {joined('MIN(value)', 'MAX(value)')} FROM {Rating._meta.db_table}"  # noqa: S608 -- table names from model metadata, values as params
        " WHERE active AND value IS NOT NULL)",
    ]
    return "MD5(" + f" || {sep} || ".join(f"COALESCE({part}, '')" for part in parts) + ")", actions


def with_fingerprint(queryset: QuerySet[Verdict]) -> QuerySet:
    """``(id, published_at, changed_at, fingerprint)`` rows of ``queryset`` (a :func:`published_verdicts_base` one)."""
    sql, params = _fingerprint_sql()
    return queryset.annotate(fingerprint=RawSQL(sql, params, output_field=TextField())).values_list(  # noqa: S611 -- SQL built from model metadata only
        "id", "published_at", "changed_at", "fingerprint"
    )


def cached_payloads(rows: list[tuple]) -> list[dict[str, Any]]:
    """The payloads of ``rows`` (from :func:`with_fingerprint`), from the cache where current."""
    prefix = f"verdict-payload:{PAYLOAD_CACHE_VERSION}:{hashlib.sha256(absolute_url('/').encode()).hexdigest()[:8]}"
    keys = [f"{prefix}:{pk}:{fingerprint}" for pk, _, _, fingerprint in rows]
    found = cache_or(lambda: cache.get_many(keys), {}, what="verdict payloads") if keys else {}
    missing = {row[0]: key for row, key in zip(rows, keys, strict=True) if key not in found}
    if missing:
        bounds = scale_bounds()
        fresh = {}
        for verdict in published_verdicts().filter(pk__in=list(missing)):
            fresh[missing[verdict.pk]] = verdict_payload(verdict, bounds=bounds)
        cache_or(lambda: cache.set_many(fresh, timeout=PAYLOAD_CACHE_TIMEOUT), None, what="verdict payloads")
        found.update(fresh)
    return [found[key] for key in keys if key in found]
