"""The intake service ``claim_submit`` called directly: storing, deduplicating and enqueueing.

Enqueued fetches are observed in the in-process ``memory://`` broker the tests run with.
"""

from __future__ import annotations

from datetime import date

import pytest

from claims.choices import Channel, ClaimStatus, FetchStatus, Priority
from claims.intake.services import claim_submit, claim_validate
from claims.intake.validation import InvalidInput
from claims.models import Citation, Claim, Source, Tag
from claims.normalize import canonicalize_url
from tests.claims.broker import drain
from tests.factories import ClaimFactory, SourceFactory, StaffFactory

pytestmark = pytest.mark.django_db


def queued_fetches() -> list[int]:
    """Drain the test broker as a worker would; return the source ids of the ``fetch_source`` messages sent."""
    return drain().fetched_ids()


@pytest.fixture(autouse=True)
def empty_broker():
    drain(run_followups=False)
    yield
    drain(run_followups=False)


def counts() -> tuple[int, int, int]:
    return Claim.objects.count(), Source.objects.count(), Citation.objects.count()


# --------------------------------------------------------------------------- storing a claim


def test_new_claim_is_stored_normalised_with_status_new():
    staff = StaffFactory()
    result = claim_submit(
        {
            "text": "  The mayor said   the bridge cost\n 40 million.  ",
            "claimant": " Jane  Doe ",
            "claim_date": "2024-03-01",
            "appeared_at": " https://tv.example.org/clip/7 ",
            "language": "pt-br",
            "tags": ["Budget", "budget ", "  Roads  and bridges "],
            "priority": "HIGH",
        },
        channel=Channel.FORM,
        user=staff,
    )
    assert result.duplicate is False
    claim = Claim.objects.get(pk=result.claim.pk)
    assert claim.text == "The mayor said the bridge cost 40 million."
    assert claim.claimant == "Jane Doe"
    assert claim.claim_date == date(2024, 3, 1)
    assert claim.appeared_at == "https://tv.example.org/clip/7"
    assert claim.language == "pt-BR"
    assert sorted(claim.tags.values_list("name", flat=True)) == ["budget", "roads and bridges"]
    assert claim.priority == Priority.HIGH
    assert claim.channel == Channel.FORM
    assert claim.status == ClaimStatus.NEW
    assert claim.submitted_by == staff
    assert claim.submitter == staff.get_username()
    assert claim.created_at is not None


def test_defaults_language_en_priority_normal_channel_api():
    claim = claim_submit({"text": "Only a text"}).claim
    claim.refresh_from_db()
    assert (claim.language, claim.priority, claim.channel, claim.status) == ("en", Priority.NORMAL, "api", "new")
    assert claim.claimant == "" and claim.claim_date is None and claim.appeared_at == ""
    assert list(claim.tags.all()) == [] and list(claim.sources.all()) == []


@pytest.mark.parametrize(("given", "stored"), [(0, 0), (3, 3), ("2", 2), ("low", 0), ("Urgent", 3), ("normal", 1)])
def test_priority_accepts_names_and_numbers(given, stored):
    claim = claim_submit({"text": f"Priority {given!r}", "priority": given}).claim
    claim.refresh_from_db()
    assert claim.priority == stored


def test_api_key_submitter(make_key):
    key, _ = make_key("intake")
    claim = claim_submit({"text": "Sent by a program"}, api_key=key).claim
    claim.refresh_from_db()
    assert claim.submitted_by_key == key
    assert claim.submitter == f"key:{key.name}"


def test_tags_are_shared_rows():
    claim_submit({"text": "First", "tags": ["health"]})
    claim_submit({"text": "Second", "tags": ["Health", "vaccines"]})
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["health", "vaccines"]
    assert Tag.objects.get(name="health").claims.count() == 2


def test_invalid_input_raises_naming_fields_and_stores_nothing():
    before = counts()
    with pytest.raises(InvalidInput) as exc:
        claim_submit({"text": "   ", "language": "not a language", "sources": ["ftp://example.org/file"]})
    assert set(exc.value.fields) == {"text", "language", "sources"}
    for messages in exc.value.fields.values():
        assert messages and all(isinstance(m, str) for m in messages)
    assert "Item 1" in exc.value.fields["sources"][0]
    assert counts() == before
    assert queued_fetches() == []


def test_validate_returns_normalised_values_without_storing():
    values = claim_validate({"text": "x", "sources": ["HTTPS://Example.com:443/a?utm_source=z#f"]})
    assert values["sources"] == [
        {"url": "HTTPS://Example.com:443/a?utm_source=z#f", "context": "", "canonical_url": "https://example.com/a"}
    ]
    assert Claim.objects.count() == 0


# --------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    "again",
    [
        "The bridge cost 40 million",
        "the BRIDGE cost 40 million",
        "  The bridge\ncost   40 million ",
        "The bridge cost \uff14\uff10 million",  # full-width digits
        "The bri\u200bdge cost 40\u00a0million",  # zero-width space, no-break space
    ],
)
def test_exact_duplicate_returns_existing_claim(again):
    first = claim_submit({"text": "The bridge cost 40 million", "claimant": "Mayor"})
    second = claim_submit({"text": again, "claimant": "Someone else"})
    assert second.duplicate is True
    assert second.claim.pk == first.claim.pk
    assert Claim.objects.count() == 1
    # The first submission's values stand.
    assert Claim.objects.get().claimant == "Mayor"


def test_duplicate_adds_new_sources_and_tags_to_the_existing_claim():
    first = claim_submit({"text": "Same claim", "sources": ["https://a.example/1"], "tags": ["one"]})
    second = claim_submit(
        {"text": "same claim", "sources": ["https://a.example/1#again", "https://b.example/2"], "tags": ["two"]}
    )
    assert second.duplicate is True and second.claim.pk == first.claim.pk
    claim = Claim.objects.get()
    assert sorted(claim.sources.values_list("canonical_url", flat=True)) == [
        "https://a.example/1",
        "https://b.example/2",
    ]
    assert sorted(claim.tags.values_list("name", flat=True)) == ["one", "two"]
    assert Source.objects.count() == 2 and Citation.objects.count() == 2
    assert second.new_source_ids == [Source.objects.get(canonical_url="https://b.example/2").pk]


def test_near_duplicate_is_a_new_claim():
    claim_submit({"text": "The bridge cost 40 million"})
    result = claim_submit({"text": "The bridge cost 41 million"})
    assert result.duplicate is False
    assert Claim.objects.count() == 2


# --------------------------------------------------------------------------- sources


def test_sources_as_strings_and_objects_with_context():
    result = claim_submit(
        {
            "text": "Cites two pages",
            "sources": [
                "https://news.example/story?id=1&utm_campaign=spring",
                {"url": "https://stats.example/table", "context": "  table 3,\n row 2 "},
            ],
        }
    )
    citations = {
        c.source.canonical_url: c for c in Citation.objects.select_related("source").filter(claim=result.claim)
    }
    assert set(citations) == {"https://news.example/story?id=1", "https://stats.example/table"}
    assert citations["https://news.example/story?id=1"].context == ""
    assert citations["https://stats.example/table"].context == "table 3, row 2"
    story = citations["https://news.example/story?id=1"].source
    # The URL as first submitted is kept beside its canonical form.
    assert story.url == "https://news.example/story?id=1&utm_campaign=spring"
    assert story.fetch_status == FetchStatus.PENDING


def test_spellings_of_one_url_in_one_claim_make_one_citation():
    result = claim_submit(
        {
            "text": "Same page thrice",
            "sources": [
                "https://Example.com/a",
                {"url": "https://example.com:443/a#x", "context": "the second mention"},
                "https://example.com/a?fbclid=zzz",
            ],
        }
    )
    assert Source.objects.count() == 1
    citation = Citation.objects.get(claim=result.claim)
    assert citation.context == "the second mention"


def test_one_source_row_per_canonical_url_shared_by_claims_with_their_own_context():
    first = claim_submit({"text": "Claim A", "sources": [{"url": "https://x.example/p", "context": "for A"}]})
    second = claim_submit(
        {"text": "Claim B", "sources": [{"url": "HTTPS://X.EXAMPLE/p?utm_source=b", "context": "for B"}]}
    )
    assert Source.objects.count() == 1
    source = Source.objects.get()
    assert sorted(source.claims.values_list("pk", flat=True)) == sorted([first.claim.pk, second.claim.pk])
    contexts = dict(Citation.objects.filter(source=source).values_list("claim_id", "context"))
    assert contexts == {first.claim.pk: "for A", second.claim.pk: "for B"}


def test_fifty_sources_accepted_fifty_one_refused(settings):
    assert settings.CLAIM_MAX_SOURCES == 50
    urls = [f"https://many.example/{n}" for n in range(51)]
    with pytest.raises(InvalidInput) as exc:
        claim_submit({"text": "Too many", "sources": urls})
    assert list(exc.value.fields) == ["sources"]
    assert counts() == (0, 0, 0)
    result = claim_submit({"text": "Just enough", "sources": urls[:50]})
    assert result.claim.sources.count() == 50


# --------------------------------------------------------------------------- enqueueing fetches


def test_new_sources_are_enqueued_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = claim_submit({"text": "Enqueue me", "sources": ["https://e.example/1", "https://e.example/2"]})
    assert len(callbacks) == 1
    sources = list(Source.objects.order_by("id"))
    assert sorted(result.new_source_ids) == [s.pk for s in sources]
    assert all(s.enqueued_at is not None for s in sources)
    sent = drain()
    assert len(sent.followups) == 1  # one message for the web process to publish, whatever the number of sources
    assert sent.followup_claim_ids() == [result.claim.pk]
    assert sorted(sent.fetched_ids()) == [s.pk for s in sources]  # which a worker fans out, one fetch each


def test_nothing_is_enqueued_before_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        claim_submit({"text": "Rolled back later", "sources": ["https://e.example/1"]})
    assert Source.objects.get().enqueued_at is None
    nothing = drain(run_followups=False)
    assert nothing.followups == [] and nothing.others == []  # no message of any kind


def test_source_cited_by_a_second_claim_is_not_fetched_again(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        claim_submit({"text": "First citer", "sources": ["https://shared.example/page"]})
    source = Source.objects.get()
    assert queued_fetches() == [source.pk]
    source.refresh_from_db()
    first_enqueued = source.enqueued_at

    with django_capture_on_commit_callbacks(execute=True):
        second = claim_submit({"text": "Second citer", "sources": ["https://shared.example/page#x"]})
    assert second.new_source_ids == []
    assert Source.objects.count() == 1
    source.refresh_from_db()
    assert source.enqueued_at == first_enqueued
    assert queued_fetches() == []


def test_duplicate_with_already_cited_source_enqueues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        claim_submit({"text": "Once", "sources": ["https://once.example/"]})
    queued_fetches()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = claim_submit({"text": "once", "sources": ["https://once.example"]})
    assert result.duplicate is True
    assert callbacks == []
    assert queued_fetches() == []
    assert Citation.objects.count() == 1


def test_source_that_failed_gets_another_try_when_cited_again(django_capture_on_commit_callbacks):
    failed = SourceFactory(url="https://flaky.example/x", fetch_status=FetchStatus.FAILED, attempts=5)
    with django_capture_on_commit_callbacks(execute=True):
        result = claim_submit({"text": "Cites a failed page", "sources": ["https://flaky.example/x"]})
    assert result.new_source_ids == [failed.pk]
    failed.refresh_from_db()
    assert failed.fetch_status == FetchStatus.PENDING
    assert failed.attempts == 0
    assert failed.enqueued_at is not None
    assert queued_fetches() == [failed.pk]


def test_source_already_fetched_is_not_fetched_again(django_capture_on_commit_callbacks):
    fetched = SourceFactory(url="https://done.example/x", fetch_status=FetchStatus.FETCHED)
    with django_capture_on_commit_callbacks(execute=True):
        result = claim_submit({"text": "Cites a fetched page", "sources": ["https://done.example/x"]})
    assert result.new_source_ids == []
    fetched.refresh_from_db()
    assert fetched.fetch_status == FetchStatus.FETCHED
    assert queued_fetches() == []


def test_existing_claim_factory_row_is_found_as_duplicate():
    existing = ClaimFactory(text="Made by a factory")
    result = claim_submit({"text": "MADE BY A FACTORY"})
    assert result.duplicate and result.claim.pk == existing.pk


def test_canonical_url_is_the_one_normalize_computes():
    url = "https://Bücher.example:443/straße?id=7&utm_source=x"
    claim_submit({"text": "IDN", "sources": [url]})
    assert Source.objects.get().canonical_url == canonicalize_url(url)


@pytest.mark.django_db
def test_expired_idempotency_records_are_purged_and_recent_ones_kept():
    from datetime import timedelta

    from django.utils import timezone

    from claims.intake.idempotency import KEEP_FOR
    from claims.models import IdempotencyRecord
    from claims.tasks import idempotency_records_purge

    old = IdempotencyRecord.objects.create(
        owner="key:1", key="old", request_hash="x", response_status=201, response_body={},
        created_at=timezone.now() - KEEP_FOR - timedelta(minutes=1),
    )  # fmt: skip
    recent = IdempotencyRecord.objects.create(
        owner="key:1", key="recent", request_hash="x", response_status=201, response_body={}
    )
    assert idempotency_records_purge() == 1
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
    assert IdempotencyRecord.objects.filter(pk=recent.pk).exists()
