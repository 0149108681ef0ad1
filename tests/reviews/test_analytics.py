"""Desk analytics: the figures on a small desk with known timestamps, the page, its CSV files and the API."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from claims.choices import AttemptOutcome, Channel, ClaimStatus, FetchStatus, MatchKind
from claims.models import Claim, ClaimMatch, FetchAttempt, Source, Tag
from reviews import analytics, workflow
from reviews.analytics import StatsFilters, desk_stats
from reviews.choices import VersionKind
from reviews.models import Verdict, VerdictVersion, WorkflowEvent
from reviews.people import user_add
from tests.factories import CitationFactory, ClaimFactory, SourceFactory, StaffFactory
from tests.reviews.desk import Desk, claim_in_state, desk, key_client

pytestmark = pytest.mark.django_db

Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)

START, END = date(2025, 3, 3), date(2025, 3, 30)  # four weeks, Monday to Sunday
PERIOD = {"from": START.isoformat(), "to": END.isoformat()}
NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)


def at(day: int, hour: int) -> datetime:
    return datetime(2025, 3, day, hour, 0, tzinfo=UTC)


def dated(claim: Claim, created: datetime, **events: datetime | list[datetime]) -> None:
    """Move a claim's intake and its workflow events (oldest first per action) to known times."""
    Claim.objects.filter(pk=claim.pk).update(created_at=created)
    for action, when in events.items():
        times = when if isinstance(when, list) else [when]
        rows = list(WorkflowEvent.objects.filter(claim=claim, action=action).order_by("id"))
        assert len(rows) == len(times), (action, rows)
        for row, moment in zip(rows, times, strict=True):
            WorkflowEvent.objects.filter(pk=row.pk).update(created_at=moment)
    if "approve" in events:
        Verdict.objects.filter(claim=claim).update(published_at=events["approve"])
        VerdictVersion.objects.filter(
            verdict__claim=claim, kind=VersionKind.SUBMITTED, approved_at__isnull=False
        ).update(approved_at=events["approve"])


@pytest.fixture
def team() -> Desk:
    return desk()


@pytest.fixture
def known(team):
    """Five claims whose every step happened at a known time in March 2025.

    new (fr, web form): received 3 March.   assigned: received 30 March, assigned 2 h later.
    published: received 10 March, assigned +4 h, submitted +24 h, published +48 h; tagged budget.
    published then retracted: received 17 March, assigned +10 h, submitted +36 h, sent back, resubmitted,
    published +72 h, retracted on 26 March.   dismissed: received and dismissed on 24 March.
    """
    new = ClaimFactory(language="fr", channel=Channel.FORM)
    dated(new, at(3, 9))

    assigned = claim_in_state(ClaimStatus.ASSIGNED, team)
    dated(assigned, at(30, 9), assign=at(30, 11))

    published = claim_in_state(ClaimStatus.PUBLISHED, team)
    published.tags.add(Tag.objects.create(name="budget"))
    dated(published, at(10, 9), assign=at(10, 13), submit=at(11, 9), approve=at(12, 9))
    workflow.verdict_correct(team.chief, published.pk, {"analysis": "Fixed a link."}, "Corrected a link.")
    dated(published, at(10, 9), correct=at(25, 9))

    retracted = claim_in_state(ClaimStatus.SUBMITTED, team)
    workflow.review_send_back(team.chief, retracted.pk, "Cite the accounts.")
    workflow.review_submit(team.assignee, retracted.pk)
    workflow.review_approve(team.chief, retracted.pk)
    workflow.verdict_retract(team.chief, retracted.pk, "Misquoted.")
    dated(
        retracted,
        at(17, 9),
        assign=at(17, 19),
        submit=[at(18, 21), at(19, 12)],
        send_back=at(19, 9),
        approve=at(20, 9),
        retract=at(26, 9),
    )

    dismissed = ClaimFactory()
    workflow.claim_dismiss(team.chief, dismissed.pk, "Not checkable.")
    dated(dismissed, at(24, 9), dismiss=at(24, 10))

    ClaimMatch.objects.create(
        claim=retracted, matched=published, score=0.97, kind=MatchKind.DUPLICATE, created_at=at(17, 10)
    )
    slow = SourceFactory(url="https://slow.example.com/a", fetch_status=FetchStatus.FAILED)
    quick = SourceFactory(url="https://news.example.org/b", fetch_status=FetchStatus.FETCHED)
    Source.objects.filter(pk__in=[slow.pk, quick.pk]).update(created_at=at(10, 10))
    CitationFactory(claim=published, source=slow)
    CitationFactory(claim=published, source=quick)
    for source, outcome, ms in ((slow, AttemptOutcome.FAILED, 3000), (quick, AttemptOutcome.FETCHED, 400)):
        FetchAttempt.objects.create(
            source=source, started_at=at(10, 11), finished_at=at(10, 11), outcome=outcome, duration_ms=ms
        )
    return {"new": new, "assigned": assigned, "published": published, "retracted": retracted, "dismissed": dismissed}


def stats(**filters):
    return desk_stats(StatsFilters(start=filters.pop("start", START), end=filters.pop("end", END), **filters), now=NOW)


def by(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


# --- The figures ---------------------------------------------------------------------------------


def test_the_backlog_by_state_age_and_week(known):
    figures = stats()
    backlog = figures["backlog"]
    assert {row["state"]: row["count"] for row in backlog["by_state"]} == {"new": 1, "assigned": 1, "submitted": 0}
    ages = by(backlog["by_age"], "bucket")
    assert ages["7_30d"]["new"] == 1 and ages["1_3d"]["assigned"] == 1 and ages["lt_1d"]["total"] == 0
    assert figures["weeks"] == ["2025-03-03", "2025-03-10", "2025-03-17", "2025-03-24"]
    trend = [(row["received"], row["closed"], row["backlog"]) for row in backlog["trend"]]
    # received 3/10/17 March: one a week; the 10th's published on the 12th; the 17th's on the 20th;
    # the last week: one received and dismissed, one received and still open.
    assert trend == [(1, 0, 1), (1, 1, 1), (1, 1, 1), (2, 1, 2)]
    assert backlog["trend"][-1]["backlog"] == backlog["total"] == 2


def test_lead_times_have_known_medians_and_90th_percentiles(known):
    overall = stats()["durations"]["overall"]
    # first take 2 h, 4 h and 10 h; publication after 48 h and 72 h
    assert overall["to_first_take"] == {"count": 3, "median_hours": 4.0, "p90_hours": 8.8}
    assert overall["to_submission"] == {"count": 2, "median_hours": 30.0, "p90_hours": 34.8}
    assert overall["to_publication"] == {"count": 2, "median_hours": 60.0, "p90_hours": 69.6}
    weeks = by(stats()["durations"]["weeks"], "week")
    assert weeks["2025-03-10"]["to_publication"]["median_hours"] == 48.0
    assert weeks["2025-03-17"]["to_publication"]["median_hours"] == 72.0
    assert weeks["2025-03-03"]["to_first_take"] == {"count": 0, "median_hours": None, "p90_hours": None}


def test_percentiles_outside_postgresql_equal_the_databases(known, monkeypatch):
    in_database = stats()["durations"]
    monkeypatch.setattr(analytics, "_database_percentiles", lambda: False)
    assert stats()["durations"] == in_database


def test_verdicts_send_backs_corrections_people_languages_intake_matches_sources(known, team):
    figures = stats()
    published = figures["published"]
    assert published["total"] == 2 and [r["slug"] for r in published["ratings"]] == ["false"]
    assert [week["total"] for week in published["weeks"]] == [0, 1, 1, 0]

    sent = figures["send_backs"]
    assert (sent["verdicts"], sent["send_backs"], sent["per_verdict"]) == (2, 1, 0.5)
    assert {row["send_backs"]: row["verdicts"] for row in sent["distribution"]} == {"0": 1, "1": 1, "2": 0, "3+": 0}

    corrections = figures["corrections"]
    assert (corrections["corrections"], corrections["retractions"]) == (1, 1)
    assert [(w["corrections"], w["retractions"]) for w in corrections["weeks"]] == [(0, 0), (0, 0), (0, 0), (1, 1)]

    people = by(figures["people"], "username")
    assert people["ana"] | {"languages": None} == {
        "username": "ana",
        "role": "factchecker",
        "languages": None,
        "in_hand": 1,
        "submitted": 3,
        "approved": 2,
        "approvals_given": 0,
    }
    assert people["chief"]["approvals_given"] == 2 and people["olu"]["in_hand"] == 0

    languages = by(figures["languages"], "language")
    assert languages["fr"] == {"language": "fr", "waiting": 1, "in_progress": 0, "people": 0, "covered": False}
    assert languages["en"]["in_progress"] == 1 and languages["en"]["covered"]

    intake = figures["intake"]
    assert intake["total"] == 5
    assert by(intake["channels"], "channel")["form"]["count"] == 1

    assert (figures["matches"]["duplicates"], figures["matches"]["similar"]) == (1, 0)
    sources = figures["sources"]
    assert by(sources["by_status"], "status")["failed"]["count"] == 1
    assert by(sources["attempts"], "outcome")["fetched"]["count"] == 1
    assert [host["host"] for host in sources["slowest_hosts"]] == ["slow.example.com", "news.example.org"]
    assert sources["slowest_hosts"][0] == {"host": "slow.example.com", "attempts": 1, "avg_ms": 3000.0, "max_ms": 3000}


def test_filters_change_the_figures(known):
    everything = stats()
    later = stats(start=date(2025, 3, 17))
    assert (everything["intake"]["total"], later["intake"]["total"]) == (5, 3)
    assert (everything["published"]["total"], later["published"]["total"]) == (2, 1)
    assert later["weeks"] == ["2025-03-17", "2025-03-24"]
    assert later["backlog"]["trend"][-1]["backlog"] == 2  # the backlog carried in from before the period

    french = stats(language="fr")
    assert french["intake"]["total"] == 1 and french["backlog"]["total"] == 1 and french["published"]["total"] == 0
    assert stats(channel=Channel.FORM)["intake"]["total"] == 1
    budget = stats(tag="budget")
    assert (budget["intake"]["total"], budget["published"]["total"], budget["sources"]["attempts"][0]["count"]) == (
        1,
        1,
        1,
    )
    assert budget["durations"]["overall"]["to_publication"]["median_hours"] == 48.0
    assert stats(tag="nothing-tagged")["intake"]["total"] == 0


def test_a_factcheckers_figures_cover_their_claims_only(known, team):
    workflow.claim_assign(team.chief, ClaimFactory().pk, team.other)
    mine = desk_stats(StatsFilters(start=START, end=END), person=team.assignee, now=NOW)
    assert mine["person"] == "ana"
    assert [row["username"] for row in mine["people"]] == ["ana"]
    assert mine["intake"]["total"] == 3  # assigned, published, retracted: the claims she was given
    assert mine["backlog"]["total"] == 1 and mine["published"]["total"] == 2
    assert mine["matches"]["duplicates"] == 1
    theirs = desk_stats(StatsFilters(start=START, end=END), person=team.other, now=NOW)
    assert theirs["published"]["total"] == 0 and theirs["people"][0]["submitted"] == 0


# --- The page ------------------------------------------------------------------------------------


def test_an_editor_sees_the_charts_and_their_tables(client, known, team, django_assert_max_num_queries):
    client.force_login(team.editor)
    with django_assert_max_num_queries(30):
        response = client.get("/desk/analytics/", PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 5
    assert html.count('<table class="figures"') >= html.count("<svg")
    assert html.count('role="img"') == html.count("<svg") == html.count("<title id=") == html.count("<desc id=")
    assert ' style="' not in html and "<script>" not in html  # nothing the policy would refuse
    assert "Content-Security-Policy" in response.headers
    assert 'id="figure-received">5<' in html and 'id="figure-published">2<' in html
    assert response.context["stats"]["person"] is None and len(response.context["stats"]["people"]) >= 4
    assert '<a href="/desk/analytics/">Analytics</a>' in html


def test_the_filter_form_changes_the_page(client, known, team):
    client.force_login(team.editor)
    whole = client.get("/desk/analytics/", PERIOD)
    french = client.get("/desk/analytics/", {**PERIOD, "language": "fr"})
    assert whole.context["stats"]["intake"]["total"] == 5 and french.context["stats"]["intake"]["total"] == 1
    assert 'id="figure-received">1<' in french.content.decode()


def test_anonymous_visitors_get_403(client, known):
    assert client.get("/desk/analytics/").status_code == 403
    assert client.get("/desk/analytics/people.csv").status_code == 403


def test_staff_without_a_desk_role_get_403(client, db):
    client.force_login(user_add("clerk", "factchecker", []))
    assert client.get("/desk/analytics/").status_code == 200
    client.force_login(StaffFactory(username="staff-no-role"))
    assert client.get("/desk/analytics/").status_code == 403


def test_a_factchecker_sees_their_own_figures_on_the_page(client, known, team):
    client.force_login(team.other)
    response = client.get("/desk/analytics/", PERIOD)
    assert response.status_code == 200
    assert response.context["stats"]["person"] == "olu"
    assert [row["username"] for row in response.context["stats"]["people"]] == ["olu"]
    people_table = response.content.decode().split('id="people-table"')[1].split("</table>")[0]
    assert "olu" in people_table and "ana" not in people_table and "chief" not in people_table
    people_csv = client.get("/desk/analytics/people.csv", PERIOD).content.decode()
    assert [row[0] for row in csv.reader(io.StringIO(people_csv))] == ["Person", "olu"]


def test_a_bad_date_on_the_page_is_a_400_naming_the_field(client, team):
    client.force_login(team.editor)
    response = client.get("/desk/analytics/", {"from": "last tuesday"})
    assert response.status_code == 400
    assert 'id="error-from"' in response.content.decode()


def test_every_csv_downloads_with_a_header_row_and_no_formulas(client, known, team):
    for name in ("@SUM(A1)", "=1+2"):
        workflow.claim_assign(team.chief, ClaimFactory().pk, user_add(name, "factchecker", ["en"]))
    client.force_login(team.editor)
    page = client.get("/desk/analytics/", PERIOD)
    names = [panel.name for panel in page.context["panels"]]
    assert len(names) >= 10
    for name in names:
        assert f"/desk/analytics/{name}.csv?from=2025-03-03&amp;to=2025-03-30" in page.content.decode()
        response = client.get(f"/desk/analytics/{name}.csv", PERIOD)
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        panel = next(panel for panel in page.context["panels"] if panel.name == name)
        assert rows[0] == panel.table.columns
        assert len(rows) == len(panel.table.rows) + 1
        for row in rows:
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), (name, row)
    people = client.get("/desk/analytics/people.csv", PERIOD).content.decode()
    assert "'@SUM(A1)" in people and "'=1+2" in people
    assert client.get("/desk/analytics/nothing.csv").status_code == 404


def test_the_page_answers_with_the_demo_data(client):
    call_command("load_demo", "--password", "demo-pass-123", stdout=io.StringIO())
    client.force_login(get_user_model().objects.get(username="editor-amira"))
    response = client.get("/desk/analytics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 5 and html.count('<table class="figures"') >= 5
    figures = response.context["stats"]
    assert figures["published"]["total"] == 2 and figures["backlog"]["total"] >= 4
    assert figures["send_backs"]["send_backs"] == 1 and figures["corrections"]["corrections"] == 1
    client.force_login(get_user_model().objects.get(username="checker-emma"))
    assert client.get("/desk/analytics/").context["stats"]["person"] == "checker-emma"


# --- The API -------------------------------------------------------------------------------------


def test_the_api_gives_the_same_numbers_as_the_page(client, known, team, settings):
    settings.ANALYTICS_CACHE_SECONDS = 0  # each computes its own figures
    client.force_login(team.editor)
    for params in (PERIOD, {**PERIOD, "language": "fr"}, {"from": "2025-03-17", "to": "2025-03-30", "tag": "budget"}):
        page = client.get("/desk/analytics/", params)
        api = key_client("read", user=team.editor).get("/api/v1/stats/", params)
        assert api.status_code == 200, api.content
        assert api.json() == json.loads(json.dumps(page.context["stats"]))
    assert api.json()["filters"] == {
        "from": "2025-03-17",
        "to": "2025-03-30",
        "language": None,
        "tag": "budget",
        "channel": None,
    }


def test_the_figures_are_cached_for_a_minute_per_filters_and_person(client, known, team, django_assert_max_num_queries):
    client.force_login(team.editor)
    first = client.get("/desk/analytics/", PERIOD).context["stats"]
    dated(ClaimFactory(), at(15, 9))  # received in the period: not counted until the cached figures expire
    with django_assert_max_num_queries(8):  # the session, permissions, the form's choices: no figure
        again = client.get("/desk/analytics/", PERIOD)
    assert again.context["stats"] == first and first["intake"]["total"] == 5
    with django_assert_max_num_queries(8):
        csv_file = client.get("/desk/analytics/intake.csv", PERIOD)
    assert csv_file.status_code == 200
    assert client.get("/desk/analytics/", {**PERIOD, "channel": "api"}).context["stats"] != first
    client.force_login(team.assignee)
    assert client.get("/desk/analytics/", PERIOD).context["stats"]["person"] == "ana"


def test_the_api_defaults_to_the_last_twelve_weeks(known, team):
    body = key_client("read", user=team.admin).get("/api/v1/stats/").json()
    assert len(body["weeks"]) in (12, 13)
    assert date.fromisoformat(body["filters"]["to"]) - date.fromisoformat(body["filters"]["from"]) == timedelta(days=83)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2025-02-30"}, "to"),
        ({"from": "2025-03-10", "to": "2025-03-01"}, "to"),
        ({"from": "2020-01-01", "to": "2025-01-01"}, "from"),
        ({"channel": "pigeon"}, "channel"),
        ({"language": "not a language!"}, "language"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(team, params, field):
    response = key_client("read", user=team.editor).get("/api/v1/stats/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == [field]


def test_only_editors_keys_read_the_stats(team, client):
    assert key_client("read", user=team.assignee).get("/api/v1/stats/").status_code == 403
    assert key_client("read").get("/api/v1/stats/").status_code == 403  # a key acting as nobody
    assert key_client("intake", user=team.editor).get("/api/v1/stats/").status_code == 403
    assert key_client("review", user=team.editor).get("/api/v1/stats/").status_code == 200
    assert client.get("/api/v1/stats/").status_code in (401, 403)
    client.force_login(team.editor)
    assert client.get("/api/v1/stats/").status_code == 200  # an editor's session
