"""Articles to candidate claims: submit a page or text, split and score its sentences, accept or dismiss them.

An article is processed in the background (``article_process``, run by the
``process_article`` task): pending → processing → ready | failed. A URL is fetched
through ``claims.sources.fetching.safe_fetch``; HTML and text sent in the request are kept on
the article and go through the same path. Every sentence is stored as a candidate
with its check-worthiness score; those at or above ``CHECKWORTHY_THRESHOLD`` also
carry the similar claims already in the desk. Accepting a candidate submits it through
the intake service (``claim_submit``), so it is validated and deduplicated like any claim.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import serializers

from claims.articles.checkworthiness import CHECKWORTHY_THRESHOLD, score_sentences
from claims.choices import ArticleStatus, CandidateStatus, Channel
from claims.intake.services import IntakeResult, claim_submit
from claims.intake.validation import (
    MAX_CONTEXT,
    HttpUrlField,
    InvalidInput,
    StrictInput,
    TextField,
    error_messages,
    validate_http_url,
    validate_language,
)
from claims.matching import embeddings
from claims.matching.services import find_similar, matches_as_dicts
from claims.models import ApiKey, Article, ArticleCandidate, Claim
from claims.sentences import split_paragraphs, split_sentences
from claims.sources.extraction import (
    HTML_TYPES,
    ArticleParagraph,
    ExtractedArticle,
    decode_body,
    extract_article_html,
    extract_document,
)
from claims.sources.fetching import FetchFailed, FetchRefused, FetchTransient, safe_fetch
from factcheck.queue import broker_lost_its_queue, tasks_send

logger = logging.getLogger(__name__)

# Input limits, in characters.
PROCESS_TASK = "claims.tasks.process_article"
ARTICLE_MAX_HTML_CHARS = 5_000_000
ARTICLE_MAX_TEXT_CHARS = 1_000_000
# A JSON request escapes quotes and angle brackets: leave room for that around the HTML limit.
ARTICLE_MAX_BODY_BYTES = 2 * ARTICLE_MAX_HTML_CHARS + 64 * 1024
# Bounds on the work one article may cause.
ARTICLE_MAX_SENTENCES = 3000
ARTICLE_MAX_MATCHED = 100  # candidates (best first) looked up among existing claims
ARTICLE_MATCH_LIMIT = 5
ARTICLE_MAX_SOURCES = 50  # links of a paragraph cited by an accepted claim
ARTICLE_MAX_ATTEMPTS = 3
ARTICLE_LEASE = timedelta(minutes=5)
ARTICLE_RETRY_SECONDS = 30.0
ARTICLE_REENQUEUE_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500
# Text that is mostly control characters is binary data sent as a string.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")
MAX_CONTROL_SHARE = 0.01


class CandidateDecided(Exception):
    """The candidate was already decided the other way; the API answers 409."""

    def __init__(self, candidate: ArticleCandidate, message: str) -> None:
        super().__init__(message)
        self.candidate = candidate
        self.message = message


# --------------------------------------------------------------------------- input


def _refuse_binary(value: str, name: str) -> str:
    if "\x00" in value or len(_CONTROL.findall(value)) > max(1, len(value) * MAX_CONTROL_SHARE):
        raise serializers.ValidationError(f"The {name} looks like binary data, not text.")
    return value


class ArticleInput(StrictInput):
    """An article to read: a URL to fetch, or its HTML or text (with an optional URL saying where it appeared)."""

    url = HttpUrlField(required=False, allow_blank=True, default="")
    html = TextField(required=False, trim_whitespace=False, allow_blank=True)
    text = TextField(required=False, trim_whitespace=False, allow_blank=True)
    language = TextField(required=False, allow_blank=True, default="", max_length=35)

    def validate_html(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("The HTML is empty.")
        if len(value) > ARTICLE_MAX_HTML_CHARS:
            raise serializers.ValidationError(f"The HTML is limited to {ARTICLE_MAX_HTML_CHARS} characters.")
        return _refuse_binary(value, "HTML")

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("The text is empty.")
        if len(value) > ARTICLE_MAX_TEXT_CHARS:
            raise serializers.ValidationError(f"The text is limited to {ARTICLE_MAX_TEXT_CHARS} characters.")
        return _refuse_binary(value, "text")

    def validate_language(self, value: str) -> str:
        return validate_language(value) if value.strip() else ""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "html" in attrs and "text" in attrs:
            raise serializers.ValidationError({"text": ["Send the html or the text, not both."]})
        if "html" not in attrs and "text" not in attrs and not attrs.get("url"):
            raise serializers.ValidationError({"url": ["Send a url to fetch, or the article's html or text."]})
        return attrs

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = {str(key): ["Unknown field."] for key in data if key not in self.fields}
            if unknown:
                raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)


# --------------------------------------------------------------------------- submit


def article_submit(data: Any, *, user: AbstractBaseUser | None = None, api_key: ApiKey | None = None) -> Article:
    """Store an article to read; it is processed in the background once the transaction commits."""
    serializer = ArticleInput(data=data)
    if not serializer.is_valid():
        raise InvalidInput(error_messages(serializer.errors))
    values = serializer.validated_data
    body_format = "html" if "html" in values else "text" if "text" in values else ""
    with transaction.atomic():
        article = Article.objects.create(
            url=values["url"],
            body=values.get("html") or values.get("text") or "",
            body_format=body_format,
            requested_language=values["language"],
            submitted_by=user if user is not None and user.is_authenticated else None,
            submitted_by_key=api_key,
        )
        transaction.on_commit(lambda: articles_enqueue([article.pk]))
    return article


def articles_enqueue(article_ids: list[int], countdown: float | None = None) -> int:
    """Hand articles to the workers; when the broker is down, ``articles_sweep`` sends them later."""
    return tasks_send(PROCESS_TASK, [(pk,) for pk in article_ids], what="article(s)", countdown=countdown)


def articles_sweep() -> int:
    """Send again articles the broker may have lost (pending for a while, or whose worker died); give up on some."""
    now = timezone.now()
    dead = Q(status=ArticleStatus.PROCESSING, lease_expires_at__lt=now)
    # An article whose every attempt lost its worker (say, a page that crashes it) ends here.
    Article.objects.filter(dead, attempts__gte=ARTICLE_MAX_ATTEMPTS).update(
        status=ArticleStatus.FAILED,
        lease_expires_at=None,
        processed_at=now,
        error=f"Reading the article never finished; gave up after {ARTICLE_MAX_ATTEMPTS} attempts.",
    )
    waiting = Q(status=ArticleStatus.PENDING)
    if not broker_lost_its_queue("articles"):  # a lost queue: every pending article at once
        waiting &= Q(updated_at__lt=now - ARTICLE_REENQUEUE_AFTER)
    stale = waiting | dead
    ids = list(Article.objects.filter(stale).order_by("id").values_list("id", flat=True)[:SWEEP_BATCH])
    return articles_enqueue(ids) if ids else 0


# --------------------------------------------------------------------------- process


@dataclass(frozen=True)
class ProcessOutcome:
    """What one ``article_process`` call did; ``retry_in`` asks the caller to call again that much later."""

    outcome: str
    retry_in: float | None = None


class _Unreadable(Exception):
    """The article cannot be read; the message is shown to users."""


def _article_claim(article_id: int) -> int | None:
    """Take a pending article (or one whose worker died) in one UPDATE; the attempt number is the lease."""
    now = timezone.now()
    takeable = Q(status=ArticleStatus.PENDING) | Q(
        status=ArticleStatus.PROCESSING, lease_expires_at__lt=now, attempts__lt=ARTICLE_MAX_ATTEMPTS
    )
    updated = (
        Article.objects.filter(pk=article_id)
        .filter(takeable)
        .update(status=ArticleStatus.PROCESSING, attempts=F("attempts") + 1, lease_expires_at=now + ARTICLE_LEASE)
    )
    if not updated:
        return None
    return Article.objects.filter(pk=article_id).values_list("attempts", flat=True).first()


def article_process(article_id: int) -> ProcessOutcome:
    """Fetch (when needed), extract, split, score and match one article; idempotent and safe to run twice."""
    attempt = _article_claim(article_id)
    if attempt is None:
        return ProcessOutcome("skipped")
    article = Article.objects.get(pk=article_id)
    try:
        extracted, final_url = _article_read(article)
        language = _language(article, extracted)
        rows = _candidates_build(extracted, language)
    except FetchTransient as exc:
        if attempt < ARTICLE_MAX_ATTEMPTS:
            _article_finish(article_id, attempt, status=ArticleStatus.PENDING, error=f"{exc.reason} (will retry)")
            return ProcessOutcome("retry", retry_in=exc.retry_after or ARTICLE_RETRY_SECONDS * attempt)
        return _article_fail(article_id, attempt, f"{exc.reason} (gave up after {attempt} attempts)")
    except (FetchRefused, FetchFailed) as exc:
        return _article_fail(article_id, attempt, exc.reason)
    except _Unreadable as exc:
        return _article_fail(article_id, attempt, str(exc))
    except Exception as exc:  # a bug must not leave the article processing forever
        logger.exception("processing article %s failed", article_id)
        return _article_fail(article_id, attempt, f"Internal error: {type(exc).__name__}")

    with transaction.atomic():
        if not _article_finish(
            article_id,
            attempt,
            status=ArticleStatus.READY,
            error="",
            final_url=final_url,
            title=extracted.title,
            author=extracted.author,
            outlet=extracted.outlet,
            published_date=extracted.published_date,
            language=language,
            text=extracted.text,
            processed_at=timezone.now(),
        ):
            return ProcessOutcome("lease_lost")
        ArticleCandidate.objects.filter(article_id=article_id).delete()
        ArticleCandidate.objects.bulk_create([row.candidate(article_id) for row in rows])
    return ProcessOutcome(ArticleStatus.READY)


def _article_finish(article_id: int, attempt: int, **fields: Any) -> bool:
    """Write the outcome if this attempt still holds the article."""
    held = Article.objects.filter(pk=article_id, status=ArticleStatus.PROCESSING, attempts=attempt)
    return bool(held.update(lease_expires_at=None, **fields))


def _article_fail(article_id: int, attempt: int, message: str) -> ProcessOutcome:
    _article_finish(article_id, attempt, status=ArticleStatus.FAILED, error=message[:2000], processed_at=timezone.now())
    return ProcessOutcome(ArticleStatus.FAILED)


def _article_read(article: Article) -> tuple[ExtractedArticle, str]:
    """The article's metadata and paragraphs, from the body sent or from its URL."""
    if article.body_format == "html":
        extracted = extract_article_html(article.body, article.url or None)
        final_url = article.url
    elif article.body_format == "text":
        extracted = _article_from_text(article.body)
        final_url = article.url
    else:
        response = safe_fetch(article.url)
        if response.status in (408, 429) or response.status >= 500:
            raise FetchTransient("http_status", f"The page answers HTTP {response.status}.")
        if not 200 <= response.status < 300:
            raise FetchFailed("http_status", f"The page answers HTTP {response.status}.")
        final_url = response.final_url
        if response.content_type in HTML_TYPES:
            extracted = extract_article_html(decode_body(response.body, response.charset), final_url)
        else:
            document = extract_document(response.body, response.content_type, response.charset, final_url)
            extracted = _article_from_text(document.text)
            extracted = ExtractedArticle(
                title=document.title,
                author=document.author,
                published_date=document.published_date,
                paragraphs=extracted.paragraphs,
            )
    if not extracted.paragraphs:
        raise _Unreadable("No article text could be found in this page.")
    return extracted, final_url


def _article_from_text(text: str) -> ExtractedArticle:
    return ExtractedArticle(paragraphs=tuple(ArticleParagraph(text=block) for block in split_paragraphs(text)))


def _language(article: Article, extracted: ExtractedArticle) -> str:
    """The language asked for, else the page's own (when it is a valid tag), else English."""
    if article.requested_language:
        return article.requested_language
    try:
        return validate_language(extracted.language) if extracted.language else "en"
    except serializers.ValidationError:
        return "en"


@dataclass
class _Row:
    paragraph: int
    position: int
    sentence: str
    links: list[str]
    score: float = 0.0
    reasons: list[dict[str, Any]] | None = None
    speaker: str = ""
    matches: list[dict[str, Any]] | None = None

    def candidate(self, article_id: int) -> ArticleCandidate:
        return ArticleCandidate(
            article_id=article_id,
            paragraph=self.paragraph,
            position=self.position,
            sentence=self.sentence,
            links=self.links,
            score=self.score,
            reasons=self.reasons or [],
            speaker=self.speaker[:255],
            matches=self.matches or [],
        )


def _candidates_build(extracted: ExtractedArticle, language: str) -> list[_Row]:
    """Every sentence, scored; the best ones at or above the threshold matched against existing claims."""
    rows: list[_Row] = []
    for index, paragraph in enumerate(extracted.paragraphs):
        for sentence in split_sentences(paragraph.text, language):
            if len(rows) == ARTICLE_MAX_SENTENCES:
                break
            rows.append(_Row(index, len(rows), sentence, list(paragraph.links)))
    for row, worthiness in zip(rows, score_sentences([row.sentence for row in rows], language), strict=True):
        row.score = float(worthiness.score)
        row.reasons = [{"code": r.code, "weight": r.weight, "detail": r.detail} for r in worthiness.reasons]
        row.speaker = worthiness.speaker or ""
    worthy = sorted((row for row in rows if row.score >= CHECKWORTHY_THRESHOLD), key=lambda row: -row.score)
    matched = worthy[:ARTICLE_MAX_MATCHED]
    vectors = embeddings.embed([row.sentence for row in matched])  # one batch, not one model call per sentence
    for row, vector in zip(matched, vectors, strict=True):
        found = find_similar(row.sentence, limit=ARTICLE_MATCH_LIMIT, language=language, vector=vector)
        row.matches = matches_as_dicts(found)
    return rows


# --------------------------------------------------------------------------- read


def article_candidates(article: Article, *, include_all: bool = False) -> QuerySet[ArticleCandidate]:
    """An article's candidates, most check-worthy first; below the threshold only when asked."""
    candidates = article.candidates.order_by("-score", "position")
    return candidates if include_all else candidates.filter(score__gte=CHECKWORTHY_THRESHOLD)


# --------------------------------------------------------------------------- decide


@dataclass
class CandidateAccepted:
    candidate: ArticleCandidate
    claim: Claim
    created: bool  # a new claim was stored by this call


def _candidate_lock(article_id: int, candidate_id: int) -> ArticleCandidate:
    return (
        ArticleCandidate.objects.select_for_update(of=("self",))
        .select_related("article")
        .get(pk=candidate_id, article_id=article_id)
    )


def _claim_input(candidate: ArticleCandidate, text: str | None) -> dict[str, Any]:
    """The claim an accepted candidate becomes: who said it, when, where, and the paragraph's links."""
    article = candidate.article
    sources = []
    for link in candidate.links:
        try:
            sources.append(validate_http_url(link))
        except serializers.ValidationError:
            continue  # a link the intake refuses is not worth refusing the claim for
        if len(sources) == min(ARTICLE_MAX_SOURCES, settings.CLAIM_MAX_SOURCES):
            break
    data: dict[str, Any] = {
        "text": candidate.sentence if text is None else text,
        "claimant": (candidate.speaker or article.outlet)[:255],
        "language": article.language or "en",
        "sources": [{"url": url, "context": candidate.sentence[:MAX_CONTEXT]} for url in sources],
    }
    if article.url:
        data["appeared_at"] = article.url
    if article.published_date and article.published_date <= timezone.localdate():
        data["claim_date"] = article.published_date.isoformat()
    return data


def candidate_accept(
    article_id: int,
    candidate_id: int,
    *,
    text: str | None = None,
    user: AbstractBaseUser | None = None,
    api_key: ApiKey | None = None,
) -> CandidateAccepted:
    """Make a candidate a claim through the intake service; accepting again returns the same claim.

    ``text`` replaces the sentence (an editor's rewording). A dismissed candidate raises ``CandidateDecided``.
    """
    with transaction.atomic():
        candidate = _candidate_lock(article_id, candidate_id)
        if candidate.status == CandidateStatus.ACCEPTED and candidate.claim_id is not None:
            return CandidateAccepted(candidate, Claim.objects.with_sources().get(pk=candidate.claim_id), created=False)
        if candidate.status == CandidateStatus.DISMISSED:
            raise CandidateDecided(candidate, gettext("This candidate was dismissed; it cannot be accepted."))
        result: IntakeResult = claim_submit(
            _claim_input(candidate, text), channel=Channel.ARTICLE, user=user, api_key=api_key
        )
        _candidate_decide(candidate, CandidateStatus.ACCEPTED, user=user, api_key=api_key, claim=result.claim)
    claim = result.claim if not result.duplicate else Claim.objects.with_sources().get(pk=result.claim.pk)
    return CandidateAccepted(candidate, claim, created=not result.duplicate)


def candidate_dismiss(
    article_id: int, candidate_id: int, *, user: AbstractBaseUser | None = None, api_key: ApiKey | None = None
) -> ArticleCandidate:
    """Mark a candidate not worth checking; dismissing again changes nothing, an accepted one raises."""
    with transaction.atomic():
        candidate = _candidate_lock(article_id, candidate_id)
        if candidate.status == CandidateStatus.ACCEPTED:
            raise CandidateDecided(
                candidate,
                gettext("This candidate was accepted as claim %(id)s; it cannot be dismissed.")
                % {"id": candidate.claim_id},
            )
        if candidate.status == CandidateStatus.OPEN:
            _candidate_decide(candidate, CandidateStatus.DISMISSED, user=user, api_key=api_key)
    return candidate


def _candidate_decide(
    candidate: ArticleCandidate,
    status: str,
    *,
    user: AbstractBaseUser | None,
    api_key: ApiKey | None,
    claim: Claim | None = None,
) -> None:
    candidate.status = status
    candidate.claim = claim
    candidate.decided_at = timezone.now()
    candidate.decided_by = user if user is not None and user.is_authenticated else None
    candidate.decided_by_key = api_key
    candidate.save(update_fields=["status", "claim", "decided_at", "decided_by", "decided_by_key"])
