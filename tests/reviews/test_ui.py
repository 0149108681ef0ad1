"""The review desk pages through Django's test client and the real URL conf."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.choices import ClaimStatus, FetchStatus, Priority
from claims.models import Article, Claim, Snapshot
from reviews import workflow
from reviews.management.commands.load_demo import snapshot_store
from reviews.models import Assignment, Notification, Verdict, WorkflowEvent
from reviews.people import user_add
from tests.factories import CitationFactory, ClaimFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

# WhiteNoise warns about a missing STATIC_ROOT in the throwaway test VAR_DIR.
Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture
def people():
    return {
        "checker": user_add("checker", "factchecker", ["en"]),
        "other": user_add("other", "factchecker", ["en"]),
        "editor": user_add("editor", "editor", ["en"]),
        "editor2": user_add("editor2", "editor", ["en"]),
        "admin": user_add("boss", "admin", []),
    }


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def assigned_claim(checker, **kwargs) -> Claim:
    claim = ClaimFactory(**kwargs)
    workflow.claim_take_next(checker)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ASSIGNED
    return claim


def submitted_claim(checker, rating="false", summary="It is not so.") -> Claim:
    claim = assigned_claim(checker)
    workflow.verdict_save_draft(checker, claim.pk, {"rating": rating, "summary": summary, "analysis": "**Why**"})
    workflow.review_submit(checker, claim.pk)
    return claim


def draft_post(**overrides) -> dict:
    data = {"action": "save", "rating": "false", "summary": "No.", "analysis": "Because.", "evidence": ""}
    data.update(overrides)
    return data


# --- Access ------------------------------------------------------------------------------

DESK_PAGES = ["reviews:queue", "reviews:mine", "reviews:notifications"]
EDITOR_PAGES = ["reviews:approvals", "reviews:assign", "reviews:people"]


@pytest.mark.parametrize("name", DESK_PAGES + EDITOR_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(
    ("role", "desk_status", "editor_status"),
    [("checker", 200, 403), ("other", 200, 403), ("editor", 200, 200), ("admin", 200, 200)],
)
def test_each_role_sees_its_pages_and_is_refused_the_others(client, people, role, desk_status, editor_status):
    client_for(client, people[role])
    for name in DESK_PAGES:
        assert client.get(reverse(name)).status_code == desk_status, name
    for name in EDITOR_PAGES:
        assert client.get(reverse(name)).status_code == editor_status, name


def test_a_user_without_a_desk_role_is_refused(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("reviews:queue")).status_code == 403
    assert client.get(reverse("reviews:approvals")).status_code == 403


def test_workspace_is_visible_to_the_desk_but_only_the_assignee_gets_the_form(client, people):
    claim = assigned_claim(people["checker"])
    url = reverse("reviews:claim", args=[claim.pk])
    assert client.get(url).status_code == 302
    for role, has_form in [("checker", True), ("other", False), ("editor", False), ("admin", False)]:
        client_for(client, people[role])
        response = client.get(url)
        assert response.status_code == 200
        assert (b'id="verdict-form"' in response.content) is has_form, role
        assert claim.text.encode() in response.content


def test_site_root_sends_each_visitor_to_the_right_place(client, people, db):
    assert client.get("/").url == reverse("login")
    client.force_login(people["checker"])
    assert client.get("/").url == reverse("reviews:queue")
    client.force_login(UserFactory(username="plainstaff", is_staff=True))
    assert client.get("/").url == reverse("claims:list")


# --- Queue, take next, my claims ----------------------------------------------------------


def test_queue_lists_new_claims_by_priority_then_age_and_filters(client, people):
    old = ClaimFactory(text="Old normal claim", priority=Priority.NORMAL)
    urgent = ClaimFactory(text="Urgent claim", priority=Priority.URGENT)
    french = ClaimFactory(text="Une affirmation", language="fr-CA")
    fetched = CitationFactory(claim=old, source=SourceFactory(fetch_status=FetchStatus.FETCHED)).claim
    ClaimFactory(text="Already taken", status=ClaimStatus.ASSIGNED)
    client.force_login(people["checker"])

    listed = list(client.get(reverse("reviews:queue")).context["page"])
    assert listed == [urgent, old, french]
    assert list(client.get(reverse("reviews:queue"), {"language": "fr"}).context["page"]) == [french]
    assert list(client.get(reverse("reviews:queue"), {"fetched": "on"}).context["page"]) == [fetched]


def test_take_next_gives_the_top_claim_and_opens_its_workspace(client, people):
    ClaimFactory(priority=Priority.LOW)
    top = ClaimFactory(priority=Priority.HIGH)
    client.force_login(people["checker"])
    response = client.post(reverse("reviews:take-next"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("reviews:claim", args=[top.pk])
    assert f"Claim {top.pk} is yours now." in messages_of(response)
    assert Assignment.objects.active().get(claim=top).assignee == people["checker"]
    mine = client.get(reverse("reviews:mine"))
    assert [a.claim for a in mine.context["assignments"]] == [top]


def test_take_next_on_an_empty_queue_says_so(client, people):
    client.force_login(people["checker"])
    response = client.post(reverse("reviews:take-next"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("reviews:queue")
    assert any("queue is empty" in m for m in messages_of(response))


def test_take_next_is_post_only(client, people):
    client.force_login(people["checker"])
    assert client.get(reverse("reviews:take-next")).status_code == 405


# --- The verdict --------------------------------------------------------------------------


def test_saving_a_draft_keeps_the_text(client, people):
    claim = assigned_claim(people["checker"])
    client.force_login(people["checker"])
    url = reverse("reviews:claim", args=[claim.pk])
    response = client.post(
        url,
        draft_post(
            summary="Not true at all.", analysis="## Why\n\nSee the *report*.", evidence="https://example.org/a\n"
        ),
        follow=True,
    )
    assert "Draft saved." in messages_of(response)
    form = response.context["verdict_form"]
    assert form.initial["summary"] == "Not true at all."
    assert form.initial["analysis"] == "## Why\n\nSee the *report*."
    assert form.initial["evidence"] == "https://example.org/a"
    assert b"<h2>Why</h2>" in response.content  # the preview is rendered server-side too
    assert claim.citations.filter(source__url="https://example.org/a").exists()


def test_a_refused_draft_keeps_what_was_typed_and_names_the_field(client, people):
    claim = assigned_claim(people["checker"])
    client.force_login(people["checker"])
    response = client.post(
        reverse("reviews:claim", args=[claim.pk]),
        draft_post(analysis="A long careful analysis.", evidence="not a url"),
    )
    assert response.status_code == 400
    assert b"A long careful analysis." in response.content
    assert response.context["verdict_form"].errors["evidence"]
    assert not Verdict.objects.filter(claim=claim, draft_analysis__contains="careful").exists()


def test_someone_else_cannot_write_the_verdict_and_their_text_is_not_lost(client, people):
    claim = assigned_claim(people["checker"])
    client.force_login(people["other"])
    response = client.post(reverse("reviews:claim", args=[claim.pk]), draft_post(summary="Hijack attempt"))
    assert response.status_code == 403
    assert any("Only the claim's assignee" in m for m in messages_of(response))
    assert not Verdict.objects.filter(claim=claim, draft_summary="Hijack attempt").exists()


def test_submitting_without_a_rating_shows_field_errors(client, people):
    claim = assigned_claim(people["checker"])
    client.force_login(people["checker"])
    response = client.post(
        reverse("reviews:claim", args=[claim.pk]), draft_post(action="submit", rating="", summary="Draft kept")
    )
    assert response.status_code == 400
    assert "Choose a rating before submitting." in response.context["verdict_form"].errors["rating"]
    assert b"Draft kept" in response.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ASSIGNED


def test_autosave_and_live_preview(client, people):
    claim = assigned_claim(people["checker"])
    client.force_login(people["checker"])
    saved = client.post(reverse("reviews:autosave", args=[claim.pk]), draft_post(summary="Typed so far"))
    assert b"Draft saved at" in saved.content
    assert Verdict.objects.get(claim=claim).draft_summary == "Typed so far"
    refused = client.post(reverse("reviews:autosave", args=[claim.pk]), draft_post(evidence="ftp://x"))
    assert b"Not saved" in refused.content

    preview = client.post(reverse("reviews:preview"), {"analysis": "**bold** <script>alert(1)</script>"})
    assert b"<strong>bold</strong>" in preview.content
    assert b"<script>" not in preview.content


def test_submit_send_back_resubmit_and_approve_through_the_pages(client, people, django_capture_on_commit_callbacks):
    checker, editor = people["checker"], people["editor"]
    claim = assigned_claim(checker)
    url = reverse("reviews:claim", args=[claim.pk])

    client.force_login(checker)
    response = client.post(url, draft_post(action="submit", rating="false", summary="Wrong figure."), follow=True)
    assert "Verdict submitted for approval." in messages_of(response)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED

    client.force_login(editor)
    inbox = client.get(reverse("reviews:approvals"))
    assert [item["claim"] for item in inbox.context["items"]] == [claim]
    assert inbox.context["items"][0]["previous"] is None
    no_comment = client.post(url, {"action": "send_back", "comment": "", "next": "approvals"})
    assert no_comment.status_code == 400
    assert any("comment is required" in m for m in messages_of(no_comment))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "send_back", "comment": "Cite the report.", "next": "approvals"})
    assert response.url == reverse("reviews:approvals")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ASSIGNED

    client.force_login(checker)
    assert client.get(reverse("reviews:mine")).context["unread_count"] == 1
    client.post(url, draft_post(action="submit", summary="Wrong figure, see the report."))

    client.force_login(editor)
    item = client.get(reverse("reviews:approvals")).context["items"][0]
    assert (item["current"].number, item["previous"].number) == (2, 1)
    response = client.post(url, {"action": "approve", "comment": "", "next": "approvals"}, follow=True)
    assert "Verdict approved and published." in messages_of(response)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED
    assert list(claim.events.values_list("action", flat=True)) == ["take", "submit", "send_back", "submit", "approve"]

    client.logout()
    public = client.get(reverse("public:verdict", args=[claim.verdict.slug]))
    assert public.status_code == 200
    assert b"False" in public.content and b"Wrong figure, see the report." in public.content


def test_an_editor_cannot_approve_their_own_verdict(client, people):
    editor = people["editor"]
    claim = submitted_claim(editor)
    client.force_login(editor)
    response = client.post(reverse("reviews:claim", args=[claim.pk]), {"action": "approve", "comment": ""})
    assert response.status_code == 403
    assert any("You wrote or edited this version" in m for m in messages_of(response))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_a_fact_checker_cannot_approve(client, people):
    claim = submitted_claim(people["checker"])
    client.force_login(people["other"])
    page = client.get(reverse("reviews:claim", args=[claim.pk]))
    assert b'value="approve"' not in page.content
    response = client.post(reverse("reviews:claim", args=[claim.pk]), {"action": "approve"})
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_an_impossible_transition_is_a_message_not_a_crash(client, people):
    claim = ClaimFactory()
    client.force_login(people["editor"])
    response = client.post(reverse("reviews:claim", args=[claim.pk]), {"action": "approve"})
    assert response.status_code == 409
    assert any("Cannot approve" in m for m in messages_of(response))


def test_dismiss_and_reopen(client, people):
    claim = ClaimFactory()
    client.force_login(people["editor"])
    url = reverse("reviews:claim", args=[claim.pk])
    client.post(url, {"action": "dismiss", "comment": "Opinion, not a fact."})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DISMISSED
    client.post(url, {"action": "reopen", "comment": ""})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEW


def test_correct_and_retract_show_on_the_public_page(client, people):
    claim = submitted_claim(people["checker"], rating="false", summary="Wrong.")
    workflow.review_approve(people["editor"], claim.pk)
    slug = Verdict.objects.get(claim=claim).slug
    client.force_login(people["editor"])
    url = reverse("reviews:claim", args=[claim.pk])

    missing_note = client.post(
        url, {"action": "correct", "rating": "mostly-false", "summary": "", "analysis": "", "note": ""}
    )
    assert missing_note.status_code == 400
    assert missing_note.context["correction_form"].errors["note"]
    client.post(
        url, {"action": "correct", "rating": "mostly-false", "summary": "", "analysis": "", "note": "New data."}
    )
    client.logout()
    page = client.get(reverse("public:verdict", args=[slug]))
    assert b"Mostly false" not in page.content  # a new rating waits for a second editor
    client.force_login(people["editor2"])
    workspace = client.get(url)
    assert b"Proposed correction" in workspace.content and b'value="approve_correction"' in workspace.content
    client.post(url, {"action": "approve_correction", "comment": ""})
    client.logout()
    page = client.get(reverse("public:verdict", args=[slug]))
    assert b"Mostly false" in page.content and b"New data." in page.content

    client.force_login(people["editor"])
    client.post(url, {"action": "retract", "comment": "The source was fabricated."})
    client.logout()
    page = client.get(reverse("public:verdict", args=[slug]))
    assert page.status_code == 200
    assert b"was retracted" in page.content and b"The source was fabricated." in page.content


def test_public_page_is_404_until_published(client, people):
    claim = submitted_claim(people["checker"])
    Verdict.objects.filter(claim=claim).update(slug="not-yet")
    assert client.get(reverse("public:verdict", args=["not-yet"])).status_code == 404
    assert client.get(reverse("public:verdict", args=["no-such-thing"])).status_code == 404


# --- Sources ------------------------------------------------------------------------------


def test_fact_checkers_open_the_stored_copy_in_a_sandbox(client, people):
    claim = assigned_claim(people["checker"])
    source = SourceFactory()
    CitationFactory(claim=claim, source=source)
    snapshot_store(source, "Report", "The figure was 4.1 percent.")
    client.force_login(people["checker"])
    page = client.get(reverse("reviews:claim", args=[claim.pk]))
    assert reverse("reviews:snapshot", args=[source.pk]).encode() in page.content
    assert b"The figure was 4.1 percent." in page.content
    copy = client.get(reverse("reviews:snapshot", args=[source.pk]))
    assert copy.status_code == 200
    assert copy["Content-Security-Policy"].startswith("sandbox")
    assert b"4.1 percent" in copy.content
    assert client.get(reverse("reviews:snapshot", args=[SourceFactory().pk])).status_code == 404
    client.logout()
    assert client.get(reverse("reviews:snapshot", args=[source.pk])).status_code == 302


# --- Editors' pages -----------------------------------------------------------------------


def test_bulk_assign_and_people_load(client, people, django_capture_on_commit_callbacks):
    first, second = ClaimFactory(), ClaimFactory()
    ClaimFactory(status=ClaimStatus.PUBLISHED)
    client.force_login(people["editor"])
    page = client.get(reverse("reviews:assign"))
    assert {c.pk for c in page.context["claims"]} == {first.pk, second.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:assign"), {"claims": [first.pk, second.pk], "assignee": people["other"].pk}, follow=True
        )
    assert "Assigned 2 claims to other." in messages_of(response)  # a real plural (issue 11)
    assert set(Assignment.objects.active().values_list("claim_id", "assignee__username")) == {
        (first.pk, "other"),
        (second.pk, "other"),
    }
    assert Notification.objects.filter(user=people["other"]).count() == 2
    rows = {row["user"].username: row for row in client.get(reverse("reviews:people")).context["rows"]}
    assert rows["other"]["user"].active_count == 2 and rows["other"]["role"] == "factchecker"
    assert rows["checker"]["user"].active_count == 0 and rows["checker"]["languages"] == ["en"]


def test_bulk_assign_without_a_person_keeps_the_selection(client, people):
    claim = ClaimFactory()
    client.force_login(people["editor"])
    response = client.post(reverse("reviews:assign"), {"claims": [claim.pk], "assignee": ""})
    assert response.status_code == 400
    assert str(claim.pk) in response.context["selected"]
    assert not Assignment.objects.exists()


def test_notifications_count_and_mark_read(client, people, django_capture_on_commit_callbacks):
    checker = people["checker"]
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            workflow.claim_assign(people["editor"], ClaimFactory().pk, checker)
    client.force_login(checker)
    page = client.get(reverse("reviews:notifications"))
    assert page.context["unread_count"] == 2
    assert b'class="badge"' in page.content
    first = Notification.objects.filter(user=checker).first()
    client.post(reverse("reviews:notifications"), {"id": first.pk})
    assert client.get(reverse("reviews:queue")).context["unread_count"] == 1
    client.post(reverse("reviews:notifications"))
    page = client.get(reverse("reviews:notifications"))
    assert page.context["unread_count"] == 0 and b'class="badge"' not in page.content


# --- Query counts -------------------------------------------------------------------------


def _claims_with_sources(count: int, **kwargs) -> list[Claim]:
    claims = []
    for _ in range(count):
        claim = ClaimFactory(**kwargs)
        CitationFactory(claim=claim)
        claims.append(claim)
    return claims


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_queue_and_my_claims_queries_do_not_grow_with_rows(client, people, django_assert_max_num_queries):
    checker = people["checker"]
    client.force_login(checker)
    for claim in _claims_with_sources(5):
        workflow.claim_assign(people["editor"], claim.pk, checker)
    _claims_with_sources(5)
    small_queue = _queries_for(client, reverse("reviews:queue"))
    small_mine = _queries_for(client, reverse("reviews:mine"))

    for claim in _claims_with_sources(55):
        workflow.claim_assign(people["editor"], claim.pk, checker)
    _claims_with_sources(55)
    assert Claim.objects.filter(status=ClaimStatus.NEW).count() == 60
    with django_assert_max_num_queries(small_queue):
        response = client.get(reverse("reviews:queue"))
    assert len(response.context["page"]) == 50
    with django_assert_max_num_queries(small_mine):
        response = client.get(reverse("reviews:mine"))
    assert len(response.context["assignments"]) == 60


# --- Demo data ----------------------------------------------------------------------------


def test_load_demo_fills_the_desk_once(client):
    out = io.StringIO()
    call_command("load_demo", "--password", "demo-pass-123", stdout=out)
    assert "checker-emma" in out.getvalue() and "demo-pass-123" in out.getvalue()
    counts = (Claim.objects.count(), Snapshot.objects.count(), WorkflowEvent.objects.count())
    assert counts[0] >= 15 and counts[1] >= 3
    statuses = set(Claim.objects.values_list("status", flat=True))
    assert {ClaimStatus.NEW, ClaimStatus.ASSIGNED, ClaimStatus.SUBMITTED, ClaimStatus.PUBLISHED} <= statuses
    assert Verdict.objects.filter(published_version__isnull=False).count() == 2
    assert WorkflowEvent.objects.filter(action="correct", public=True).count() == 1

    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert "already loaded" in again.getvalue()
    assert (Claim.objects.count(), Snapshot.objects.count(), WorkflowEvent.objects.count()) == counts

    logged_in = client.post(reverse("login"), {"username": "checker-emma", "password": "demo-pass-123"})
    assert logged_in.status_code == 302, "the printed demo password logs in"
    queue = client.get(reverse("reviews:queue"))
    assert queue.status_code == 200 and len(queue.context["page"]) > 0
    # The restated claim is flagged as a duplicate of the published jobs verdict, and the article was read.
    jobs = Claim.objects.get(text__startswith="Unemployment fell to its lowest level")
    assert f"Duplicate of #{jobs.pk}" in queue.content.decode()
    article = Article.objects.get()
    assert article.status == "ready"
    assert article.candidates.filter(score__gte=0.5, speaker__icontains="Tom Ryan").exists()
    slug = Verdict.objects.filter(updated_at__isnull=False).get().slug
    client.logout()
    assert b"Mostly false" in client.get(reverse("public:verdict", args=[slug])).content
