"""The fetch pipeline service (``claims.sources.archive``) against real loopback servers.

``source_fetch`` is called directly, as the worker's task would call it; the
Celery broker of the test settings is ``memory://``, so what the pipeline
enqueues can be read back from the in-process queue (``queued_fetches``).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from claims.choices import AttemptOutcome, FetchStatus
from claims.intake.services import claim_submit
from claims.matching import services as matching
from claims.models import Claim, Snapshot, Source
from claims.sources import archive
from claims.tasks import fetch_source
from factcheck.celery import app
from factcheck.queue import broker_breaker
from tests.claims.broker import drain
from tests.claims.servers import LoopbackServer, Reply, Request, free_port
from tests.factories import SourceFactory

PAGES = Path(__file__).parent.parent / "pages"
HTML = {"Content-Type": "text/html; charset=utf-8"}
ARTICLE = (PAGES / "news_article.html").read_bytes()

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def fetch_settings(settings):
    settings.FETCH_ALLOWLIST = ["127.0.0.1"]
    settings.FETCH_RETRY_BASE_SECONDS = 0.01
    settings.FETCH_RETRY_MAX_SECONDS = 60
    settings.FETCH_MAX_ATTEMPTS = 3
    settings.FETCH_LEASE_SECONDS = 60
    return settings


def queued_fetches() -> list[tuple[str, list, str | None]]:
    """Drain the in-memory queue as a worker would (intake follow-ups run, which publish the fetches and match
    the new claims): (task name, args, eta) of every other message sent but matching's."""
    return [
        (message.task, message.args, message.eta)
        for message in drain().others
        if message.task != "claims.tasks.match_claims"
    ]


@pytest.fixture(autouse=True)
def empty_queue() -> Iterator[None]:
    broker_breaker.reset()
    drain(run_followups=False)
    yield
    drain(run_followups=False)
    broker_breaker.reset()


def _drop_broker_pools() -> None:
    # Celery caches its pools for the life of the process; forget them so the next publish reconnects.
    if app.amqp._producer_pool is not None:
        app.amqp._producer_pool.force_close_all(close_pool=False)
    app.amqp._producer_pool = None
    app._pool = None


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Publish to another broker for a while (Celery reads CELERY_BROKER_URL before its settings)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("CELERY_BROKER_URL", url)
    _drop_broker_pools()
    try:
        yield
    finally:
        patch.undo()
        _drop_broker_pools()


def source_at(url: str, **fields) -> Source:
    return SourceFactory(url=url, **fields)


def fetch_until_settled(source_id: int, limit: int = 10) -> list[str]:
    """Call ``source_fetch`` as the worker would, waiting out each retry delay (small in these tests)."""
    outcomes = []
    for _ in range(limit):
        result = archive.source_fetch(source_id)
        outcomes.append(result.outcome)
        if result.retry_in is None:
            return outcomes
        time.sleep(min(result.retry_in, 2))
    raise AssertionError(f"source {source_id} did not settle: {outcomes}")


def outcomes_of(source: Source) -> list[str]:
    return list(source.fetch_attempts.order_by("id").values_list("outcome", flat=True))


def sequence(*replies: Reply):
    """A route answering each request with the next reply (the last one repeats)."""
    remaining = list(replies)

    def answer(request: Request) -> Reply:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return answer


# --------------------------------------------------------------------------- success


def test_article_is_fetched_with_metadata_text_and_a_snapshot(server):
    headers = {
        **HTML,
        "Last-Modified": "Thu, 14 Mar 2024 10:00:00 GMT",
        "ETag": '"v1"',
        "Set-Cookie": "session=secret",
        "X-Internal-Trace": "abc",
    }
    server.route("/article", Reply(200, headers, ARTICLE))
    source = source_at(server.url("/article"))

    result = archive.source_fetch(source.id)

    assert result == archive.FetchOutcome(AttemptOutcome.FETCHED)
    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FETCHED
    assert source.title == "City council doubles road budget"
    assert source.author == "Maria Okafor"
    assert source.published_date == date(2024, 3, 14)
    assert "double the amount it spends on road repairs" in source.text
    assert "Cookie settings" not in source.text and "should never run" not in source.text
    assert source.http_status == 200
    assert source.final_url == server.url("/article")
    assert source.content_type == "text/html"
    assert source.sha256 == hashlib.sha256(ARTICLE).hexdigest()
    assert source.error == ""
    assert source.attempts == 1
    assert source.fetched_at is not None and source.lease_token is None

    snapshot = source.snapshots.get()
    assert gzip.decompress(bytes(snapshot.raw_gzip)) == ARTICLE == snapshot.raw
    assert snapshot.raw_size == len(ARTICLE)
    assert snapshot.sha256 == source.sha256
    assert snapshot.final_url == source.final_url
    assert (snapshot.title, snapshot.published_date) == (source.title, source.published_date)
    assert snapshot.text == source.text
    assert snapshot.charset == "utf-8"
    assert snapshot.headers["last-modified"] == "Thu, 14 Mar 2024 10:00:00 GMT"
    assert snapshot.headers["etag"] == '"v1"'
    assert "set-cookie" not in snapshot.headers and "x-internal-trace" not in snapshot.headers

    attempt = source.fetch_attempts.get()
    assert (attempt.outcome, attempt.http_status, attempt.error) == (AttemptOutcome.FETCHED, 200, "")
    assert attempt.finished_at >= attempt.started_at
    assert len(server.requests) == 1


def test_redirect_chain_records_the_final_url(server):
    server.route("/short", Reply(301, {"Location": "/moved"}))
    server.route("/moved", Reply(302, {"Location": server.url("/article?id=7")}))
    server.route("/article", Reply(200, HTML, ARTICLE))
    source = source_at(server.url("/short"))

    archive.source_fetch(source.id)

    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FETCHED
    assert source.final_url == server.url("/article?id=7")
    assert source.snapshots.get().final_url == server.url("/article?id=7")
    assert [r.path for r in server.requests] == ["/short", "/moved", "/article?id=7"]


def test_page_in_windows_1252_without_declared_charset_is_decoded(server):
    body = (PAGES / "windows1252_article.html").read_bytes()
    server.route("/fr", Reply(200, {"Content-Type": "text/html"}, body))
    source = source_at(server.url("/fr"))

    archive.source_fetch(source.id)

    source.refresh_from_db()
    assert source.title == "Le maire annonce une piscine « olympique » à Sète"
    assert source.author == "Hélène Lefèvre"
    assert "Coût par habitant : environ 320 €." in source.text


def test_page_without_main_text_is_fetched_with_empty_text(server):
    body = b'<html><head><title>Gallery</title></head><body><img src="a.jpg"><img src="b.jpg"></body></html>'
    server.route("/gallery", Reply(200, HTML, body))
    source = source_at(server.url("/gallery"))

    archive.source_fetch(source.id)

    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FETCHED
    assert (source.title, source.text) == ("Gallery", "")
    assert source.snapshots.get().raw == body


def test_pdf_text_and_metadata_are_extracted(server):
    pdf = (PAGES / "report.pdf").read_bytes()
    server.route("/report.pdf", Reply(200, {"Content-Type": "application/pdf"}, pdf))
    source = source_at(server.url("/report.pdf"))

    archive.source_fetch(source.id)

    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FETCHED
    assert source.content_type == "application/pdf"
    assert source.title == "Road maintenance report 2023"
    assert source.author == "Public Works Department"
    assert source.published_date == date(2024, 1, 15)
    assert "Total spending: 24 million euros." in source.text
    assert source.snapshots.get().raw == pdf


# --------------------------------------------------------------------------- final failures


@pytest.mark.parametrize("status", [404, 410])
def test_missing_page_is_gone(server, status):
    server.route("/old", Reply(status, HTML, b"<h1>Not here</h1>"))
    source = source_at(server.url("/old"))

    result = archive.source_fetch(source.id)

    assert result == archive.FetchOutcome(AttemptOutcome.GONE)
    source.refresh_from_db()
    assert (source.fetch_status, source.http_status) == (FetchStatus.GONE, status)
    assert str(status) in source.error
    assert not source.snapshots.exists()
    assert archive.source_fetch(source.id).outcome == "skipped"
    assert len(server.requests) == 1


def test_refused_address_is_blocked_with_a_reason_and_never_retried(server):
    # 127.0.0.2 is loopback but not on the allow-list: the fetcher refuses it before any I/O.
    source = source_at(f"http://127.0.0.2:{server.port}/internal")

    result = archive.source_fetch(source.id)

    assert result.outcome == AttemptOutcome.BLOCKED
    assert result.retry_in is None
    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.BLOCKED
    assert source.error  # the fetcher's reason, shown to users
    assert source.next_attempt_at is None
    assert outcomes_of(source) == [AttemptOutcome.BLOCKED]
    assert archive.source_fetch(source.id).outcome == "skipped"
    assert archive.sources_sweep() == 0
    assert server.requests == []


def test_unsupported_content_type_fails_without_retry(server):
    server.route("/logo", Reply(200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"\0" * 64))
    source = source_at(server.url("/logo"))

    result = archive.source_fetch(source.id)

    assert (result.outcome, result.retry_in) == (AttemptOutcome.FAILED, None)
    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FAILED
    assert "image/png" in source.error
    assert not source.snapshots.exists()


def test_client_error_other_than_gone_fails(server):
    server.route("/private", Reply(403, HTML, b"forbidden"))
    source = source_at(server.url("/private"))

    assert archive.source_fetch(source.id).outcome == AttemptOutcome.FAILED
    source.refresh_from_db()
    assert (source.fetch_status, source.http_status, source.error) == (FetchStatus.FAILED, 403, "HTTP 403")


# --------------------------------------------------------------------------- retries


def test_server_error_is_retried_later_then_fetched(server):
    server.route("/flaky", sequence(Reply(500, HTML, b"oops"), Reply(200, HTML, ARTICLE)))
    source = source_at(server.url("/flaky"))

    before = timezone.now()
    first = archive.source_fetch(source.id)

    assert first.outcome == AttemptOutcome.RETRY
    assert 0 < first.retry_in <= 0.01
    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.PENDING
    assert source.next_attempt_at is not None and source.next_attempt_at >= before
    assert (source.http_status, source.error) == (500, "HTTP 500")

    time.sleep(first.retry_in)
    second = archive.source_fetch(source.id)

    assert second.outcome == AttemptOutcome.FETCHED
    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FETCHED
    assert (source.error, source.next_attempt_at, source.attempts) == ("", None, 2)
    assert outcomes_of(source) == [AttemptOutcome.RETRY, AttemptOutcome.FETCHED]
    assert source.snapshots.count() == 1


def test_backoff_grows_exponentially_with_jitter(settings):
    settings.FETCH_RETRY_BASE_SECONDS = 10
    settings.FETCH_RETRY_MAX_SECONDS = 600
    for attempt, (low, high) in {1: (5, 10), 2: (10, 20), 3: (20, 40), 8: (300, 600), 20: (300, 600)}.items():
        delays = {archive.retry_delay(attempt) for _ in range(50)}
        assert all(low <= d <= high for d in delays), (attempt, delays)
        assert len(delays) > 1  # jitter: retries of many sources do not arrive together


def test_429_retry_after_is_honoured(server):
    server.route("/busy", Reply(429, {"Retry-After": "7", "Content-Type": "text/plain"}, b"slow down"))
    source = source_at(server.url("/busy"))

    result = archive.source_fetch(source.id)

    assert result.outcome == AttemptOutcome.RETRY
    assert 8 <= result.retry_in <= 9  # 7 s, plus the second a due source may be claimed early, plus jitter
    source.refresh_from_db()
    wait = (source.next_attempt_at - timezone.now()).total_seconds()
    assert 7 < wait <= 9
    # Called again too early (a duplicate message): nothing is sent, the caller is told when to come back.
    early = archive.source_fetch(source.id)
    assert early.outcome == "early" and 7 < early.retry_in <= 10
    assert len(server.requests) == 1


@pytest.mark.parametrize("failure", ["503", "connection_refused", "timeout"])
def test_transient_failures_give_up_after_max_attempts(server, settings, failure):
    if failure == "503":
        server.route("/down", Reply(503, HTML, b"maintenance"))
        url = server.url("/down")
    elif failure == "timeout":
        settings.FETCH_READ_TIMEOUT = 0.2
        server.route("/down", Reply(200, HTML, [b"<p>", b"late"], delay=1.0))
        url = server.url("/down")
    else:
        url = f"http://127.0.0.1:{free_port()}/down"
    source = source_at(url)

    outcomes = fetch_until_settled(source.id)

    assert outcomes == [AttemptOutcome.RETRY, AttemptOutcome.RETRY, AttemptOutcome.FAILED]
    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FAILED
    assert "gave up after 3 attempts" in source.error
    assert source.attempts == 3
    assert outcomes_of(source) == [AttemptOutcome.RETRY, AttemptOutcome.RETRY, AttemptOutcome.FAILED]
    assert archive.source_fetch(source.id).outcome == "skipped"


def test_fetch_source_task_enqueues_its_own_retry_with_a_countdown(server):
    server.route("/flaky", Reply(502, HTML, b"bad gateway"))
    source = source_at(server.url("/flaky"))

    assert fetch_source(source.id) == AttemptOutcome.RETRY

    [(task, args, eta)] = queued_fetches()
    assert (task, args) == ("claims.tasks.fetch_source", [source.id])
    assert eta is not None
    source.refresh_from_db()
    assert source.enqueued_at is not None


# --------------------------------------------------------------------------- leases


@pytest.mark.django_db(transaction=True)
def test_concurrent_fetches_of_one_source_send_one_request(server):
    release = threading.Event()

    def slow(request: Request) -> Reply:
        release.wait(10)
        return Reply(200, HTML, ARTICLE)

    server.route("/slow", slow)
    source = source_at(server.url("/slow"))
    results: list[archive.FetchOutcome] = []

    def holder() -> None:
        try:
            results.append(archive.source_fetch(source.id))
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)

    second = archive.source_fetch(source.id)
    release.set()
    thread.join(10)

    assert second.outcome == "busy"
    assert 50 < second.retry_in <= 62  # come back when the holder's lease would have expired
    assert [r.outcome for r in results] == [AttemptOutcome.FETCHED]
    assert len(server.requests) == 1
    assert Snapshot.objects.filter(source=source).count() == 1


@pytest.mark.django_db(transaction=True)
def test_expired_lease_is_taken_over_and_the_late_result_discarded(server):
    release = threading.Event()
    calls: list[int] = []

    def page(request: Request) -> Reply:
        calls.append(1)
        if len(calls) == 1:  # the first holder hangs, as if its worker were stuck
            release.wait(10)
            return Reply(200, HTML, b"<html><title>late</title><p>stale copy</p></html>")
        return Reply(200, HTML, ARTICLE)

    server.route("/page", page)
    source = source_at(server.url("/page"))
    late: list[archive.FetchOutcome] = []

    def first_holder() -> None:
        try:
            late.append(archive.source_fetch(source.id))
        finally:
            connection.close()

    thread = threading.Thread(target=first_holder)
    thread.start()
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    # Time passes beyond the lease: the first holder is presumed dead.
    Source.objects.filter(pk=source.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    takeover = archive.source_fetch(source.id)
    release.set()
    thread.join(10)

    assert takeover.outcome == AttemptOutcome.FETCHED
    assert [r.outcome for r in late] == ["lease_lost"]
    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FETCHED
    assert source.title == "City council doubles road budget"
    assert [s.raw for s in source.snapshots.all()] == [ARTICLE]
    assert outcomes_of(source) == [AttemptOutcome.FAILED, AttemptOutcome.FETCHED]
    assert source.fetch_attempts.order_by("id").first().error == archive.LOST_ATTEMPT
    assert source.attempts == 2


def test_dead_lease_with_no_attempts_left_ends_the_cycle(server):
    server.route("/page", Reply(200, HTML, ARTICLE))
    source = source_at(
        server.url("/page"),
        fetch_status=FetchStatus.FETCHING,
        attempts=3,
        lease_expires_at=timezone.now() - timedelta(seconds=5),
    )

    assert archive.source_fetch(source.id).outcome == "skipped"

    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FAILED
    assert "Gave up after 3 attempts" in source.error
    assert outcomes_of(source) == [AttemptOutcome.FAILED]
    assert server.requests == []


# --------------------------------------------------------------------------- enqueueing and sweep


def test_claim_submit_enqueues_fetches_only_after_commit(django_capture_on_commit_callbacks, server):
    urls = [server.url("/a"), server.url("/b")]
    with django_capture_on_commit_callbacks(execute=True):
        result = claim_submit({"text": "The council doubled the road budget.", "sources": urls})
        unsent = drain(run_followups=False)
        assert unsent.followups == [] and unsent.others == []  # still inside the transaction: nothing sent yet

    source_ids = sorted(Source.objects.filter(canonical_url__in=urls).values_list("id", flat=True))
    assert sorted(result.new_source_ids) == source_ids
    sent = queued_fetches()
    assert sorted(args[0] for _, args, _ in sent) == source_ids
    assert {task for task, _, _ in sent} == {"claims.tasks.fetch_source"}
    assert all(isinstance(args[0], int) and len(args) == 1 for _, args, _ in sent)  # ids, not objects
    assert Source.objects.filter(enqueued_at__isnull=False).count() == 2


def test_a_source_cited_by_many_claims_is_fetched_once(django_capture_on_commit_callbacks, server):
    server.route("/shared", Reply(200, HTML, ARTICLE))
    url = server.url("/shared")
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            claim_submit({"text": f"Claim {n} about the road budget.", "sources": [url]})

    sent = queued_fetches()
    assert len(sent) == 1
    source = Source.objects.get()
    assert source.claims.count() == 3
    for _ in range(3):  # even if the message were delivered several times
        archive.source_fetch(source.id)
    assert len(server.requests) == 1


def test_a_broker_outage_leaves_sources_for_the_sweep_without_waiting_on_it():
    first, second = SourceFactory(), SourceFactory()

    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        started = time.monotonic()
        assert archive.sources_enqueue([first.id, second.id]) == 0
        assert time.monotonic() - started < 2

    # The broker is back, but this process leaves new work to the sweep for a while instead of
    # making each request wait for a broker that may be hung.
    assert broker_breaker.open()
    assert archive.sources_enqueue([first.id]) == 0
    assert queued_fetches() == []
    assert not Source.objects.filter(enqueued_at__isnull=False).exists()

    broker_breaker.reset()  # as time passing would
    assert archive.sources_sweep() == 2
    assert sorted(args[0] for _, args, _ in queued_fetches()) == [first.id, second.id]


def test_intake_during_a_broker_outage_leaves_its_sources_and_claim_to_the_sweeps(
    django_capture_on_commit_callbacks,
):
    urls = ["https://outage.example.org/a", "https://outage.example.org/b"]
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            claim = claim_submit({"text": "Filed while the broker was down.", "sources": urls}).claim
        assert time.monotonic() - started < 2  # the request does not wait on the broker
    assert broker_breaker.open()
    sources = sorted(Source.objects.filter(canonical_url__in=urls).values_list("id", flat=True))
    assert len(sources) == 2
    assert not Source.objects.filter(enqueued_at__isnull=False).exists()  # not sent, so the sweep sends them
    assert drain(run_followups=False).followups == []

    broker_breaker.reset()  # the broker is back, as time passing would tell
    assert archive.sources_sweep() == 2
    assert sorted(args[0] for _, args, _ in queued_fetches()) == sources
    Claim.objects.filter(pk=claim.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert claim.pk in set(matching.claims_unmatched().values_list("id", flat=True))  # the matching sweep's list


def test_sweep_sends_pending_sources_and_frees_dead_leases():
    now = timezone.now()
    never_sent = SourceFactory()
    recently_sent = SourceFactory(enqueued_at=now - timedelta(minutes=1))
    sent_long_ago = SourceFactory(enqueued_at=now - timedelta(hours=1))
    not_due = SourceFactory(next_attempt_at=now + timedelta(minutes=5))
    dead = SourceFactory(
        fetch_status=FetchStatus.FETCHING, attempts=1, lease_expires_at=now - timedelta(seconds=1), enqueued_at=now
    )
    alive = SourceFactory(fetch_status=FetchStatus.FETCHING, attempts=1, lease_expires_at=now + timedelta(minutes=1))
    fetched = SourceFactory(fetch_status=FetchStatus.FETCHED)

    sent = archive.sources_sweep()

    expected = sorted([never_sent.id, sent_long_ago.id, dead.id])
    assert sent == 3
    assert sorted(args[0] for _, args, _ in queued_fetches()) == expected
    dead.refresh_from_db()
    assert (dead.fetch_status, dead.lease_token, dead.lease_expires_at) == (FetchStatus.PENDING, None, None)
    assert outcomes_of(dead) == [AttemptOutcome.FAILED]  # the lost attempt is on record
    for untouched in (recently_sent, not_due, alive, fetched):
        before = untouched.fetch_status
        untouched.refresh_from_db()
        assert untouched.fetch_status == before
    assert archive.sources_sweep() == 0  # everything due was sent: a second sweep sends nothing


# --------------------------------------------------------------------------- re-checks


def fetched_source(server: LoopbackServer, path: str, body: bytes = ARTICLE) -> Source:
    server.route(path, Reply(200, HTML, body))
    source = source_at(server.url(path))
    assert archive.source_fetch(source.id).outcome == AttemptOutcome.FETCHED
    Source.objects.filter(pk=source.pk).update(last_checked_at=timezone.now() - timedelta(days=8))
    return source


def test_recheck_queues_only_sources_not_checked_recently(server):
    stale = fetched_source(server, "/stale")
    fresh = fetched_source(server, "/fresh")
    Source.objects.filter(pk=fresh.pk).update(last_checked_at=timezone.now() - timedelta(days=6))
    queued_fetches()

    assert archive.sources_recheck_due() == 1

    assert [args for _, args, _ in queued_fetches()] == [[stale.id]]
    stale.refresh_from_db()
    assert (stale.fetch_status, stale.attempts) == (FetchStatus.PENDING, 0)


def test_recheck_of_a_changed_page_keeps_both_snapshots(server):
    source = fetched_source(server, "/live")
    changed = ARTICLE.replace(b"seven to two", b"eight to one")
    server.route("/live", Reply(200, HTML, changed))

    archive.sources_recheck_due()
    assert archive.source_fetch(source.id).outcome == AttemptOutcome.FETCHED

    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FETCHED
    assert [s.raw for s in source.snapshots.all()] == [changed, ARTICLE]  # newest first
    assert "eight to one" in source.text
    assert source.sha256 == hashlib.sha256(changed).hexdigest()


def test_recheck_of_an_unchanged_page_adds_no_snapshot(server):
    source = fetched_source(server, "/same")
    first_fetched_at = Source.objects.get(pk=source.pk).fetched_at

    archive.sources_recheck_due()
    assert archive.source_fetch(source.id).outcome == AttemptOutcome.UNCHANGED

    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FETCHED
    assert source.snapshots.count() == 1
    assert source.fetched_at == first_fetched_at
    assert source.last_checked_at > timezone.now() - timedelta(minutes=1)


def test_recheck_of_a_deleted_page_is_gone_and_keeps_the_snapshot(server):
    source = fetched_source(server, "/deleted")
    server.route("/deleted", Reply(404, HTML, b"not found"))

    archive.sources_recheck_due()
    assert archive.source_fetch(source.id).outcome == AttemptOutcome.GONE

    source.refresh_from_db()
    assert (source.fetch_status, source.http_status) == (FetchStatus.GONE, 404)
    assert [s.raw for s in source.snapshots.all()] == [ARTICLE]
    assert source.title == "City council doubles road budget"  # the last good copy's metadata stays


def test_recheck_hitting_a_persistent_failure_stays_fetched_with_the_error(server):
    source = fetched_source(server, "/unstable")
    server.route("/unstable", Reply(503, HTML, b"down"))

    archive.sources_recheck_due()
    outcomes = fetch_until_settled(source.id)

    assert outcomes == [AttemptOutcome.RETRY, AttemptOutcome.RETRY, AttemptOutcome.FAILED]
    source.refresh_from_db()
    assert source.fetch_status == FetchStatus.FETCHED
    assert "HTTP 503" in source.error and "gave up" in source.error
    assert [s.raw for s in source.snapshots.all()] == [ARTICLE]
    assert "road repairs" in source.text


def test_refetch_starts_a_new_cycle_for_a_failed_source(server, django_capture_on_commit_callbacks):
    server.route("/later", Reply(403, HTML, b"no"))
    source = source_at(server.url("/later"))
    archive.source_fetch(source.id)
    server.route("/later", Reply(200, HTML, ARTICLE))

    with django_capture_on_commit_callbacks(execute=True):
        assert archive.sources_refetch([source.id]) == 1

    assert [args for _, args, _ in queued_fetches()] == [[source.id]]
    assert archive.source_fetch(source.id).outcome == AttemptOutcome.FETCHED
    source.refresh_from_db()
    assert (source.fetch_status, source.attempts) == (FetchStatus.FETCHED, 1)
