"""The desk's analytics page and its CSV files: the figures of ``reviews.analytics``, as charts and tables.

Editors and admins see the whole desk; a fact-checker sees the figures of the claims they were given.
Anonymous visitors get 403, not the login redirect of the other desk pages (issue 10 asks for 403).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from claims.choices import Channel
from claims.models import Claim, Tag
from reviews.analytics import MILESTONE_LABELS, desk_stats_cached
from reviews.api.consumer import spreadsheet_safe
from reviews.api.stats import StatsQueryInput
from reviews.charts import Series, bar_chart, line_chart, stacked_bar_chart
from reviews.models import Notification
from reviews.workflow import EDIT, WORK

STATE_COLOURS = {"new": "#c9a227", "assigned": "#0b5cad", "submitted": "#8250df"}
CHANNEL_COLOURS = {
    "api": "#0b5cad",
    "form": "#1a7f37",
    "import": "#e07b24",
    "admin": "#6e7781",
    "article": "#8250df",
    "tip": "#bf3989",
}
FETCH_COLOURS = {
    "pending": "#c9a227",
    "fetching": "#e6c35c",
    "fetched": "#1a7f37",
    "failed": "#cf222e",
    "blocked": "#b42318",
    "gone": "#8250df",
}


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Panel:
    """One figure: a chart (or none), the table of its numbers, and the name of its CSV file."""

    name: str
    title: str
    table: Table
    chart: SafeString | None = None
    note: str = ""
    summary: list[tuple[str, Any]] = field(default_factory=list)


def _week_label(week: str) -> str:
    day = date.fromisoformat(week)
    return date_format(day, "j M")  # the month's abbreviation in the reader's language


def _analyst(request) -> tuple[AbstractBaseUser, AbstractBaseUser | None]:
    """The visitor and whose figures they see (None: the whole desk); 403 for anyone without a desk role."""
    user = request.user
    if not user.is_authenticated or not user.has_perm(WORK):
        raise PermissionDenied(_("The desk's analytics are for people of the desk."))
    return user, (None if user.has_perm(EDIT) else user)


# --- Panels ---------------------------------------------------------------------------------------


def _backlog_panels(stats: dict) -> list[Panel]:
    backlog = stats["backlog"]
    states = backlog["by_state"]
    by_state = Panel(
        "backlog-state",
        _("Backlog by state"),
        Table([_("State"), _("Claims")], [[row["label"], row["count"]] for row in states]),
        bar_chart(
            "chart-backlog-state",
            _("Open claims by state"),
            _("Bar chart of the claims open now by state; the table below gives the numbers."),
            [row["label"] for row in states],
            [row["count"] for row in states],
        ),
        note=_("Open claims now, whatever the period."),
    )
    ages = backlog["by_age"]
    by_age = Panel(
        "backlog-age",
        _("Backlog by age"),
        Table(
            [_("Age"), _("New"), _("Assigned"), _("Submitted"), _("Total")],
            [[row["label"], row["new"], row["assigned"], row["submitted"], row["total"]] for row in ages],
        ),
        stacked_bar_chart(
            "chart-backlog-age",
            _("Open claims by age since intake"),
            _("Stacked bars of the open claims by age, split by state; the table below gives the numbers."),
            [row["label"] for row in ages],
            [
                Series(label, [row[state] for row in ages], STATE_COLOURS[state])
                for state, label in _state_labels(states)
            ],
        ),
    )
    trend = backlog["trend"]
    over_time = Panel(
        "backlog-trend",
        _("Backlog over the period"),
        Table(
            [_("Week of"), _("Received"), _("Closed"), _("Reopened"), _("Backlog at the end of the week")],
            [[row["week"], row["received"], row["closed"], row["reopened"], row["backlog"]] for row in trend],
        ),
        line_chart(
            "chart-backlog-trend",
            _("Backlog at the end of each week"),
            _(
                "Line chart of the open claims at the end of each week of the period; the table below gives the numbers."
            ),
            [_week_label(row["week"]) for row in trend],
            [Series(_("Backlog"), [row["backlog"] for row in trend])],
        ),
        note=_("Closed: published or dismissed."),
    )
    return [by_state, by_age, over_time]


def _state_labels(states: list[dict]) -> list[tuple[str, str]]:
    return [(row["state"], row["label"]) for row in states]


def _durations_panel(stats: dict) -> Panel:
    durations = stats["durations"]
    weeks = durations["weeks"]
    columns = [_("Week of")]
    for label in MILESTONE_LABELS.values():
        columns += [
            _("%(milestone)s: claims") % {"milestone": label},
            _("%(milestone)s: median h") % {"milestone": label},
            _("%(milestone)s: p90 h") % {"milestone": label},
        ]

    def cells(row: dict) -> list[Any]:
        out: list[Any] = []
        for name in MILESTONE_LABELS:
            figure = row[name]
            out += [figure["count"], figure["median_hours"], figure["p90_hours"]]
        return out

    rows = [[_("Whole period"), *cells(durations["overall"])]] + [[row["week"], *cells(row)] for row in weeks]
    series = [
        Series(_("%(milestone)s (median)") % {"milestone": label}, [row[name]["median_hours"] for row in weeks])
        for name, label in MILESTONE_LABELS.items()
    ]
    return Panel(
        "lead-times",
        _("Time from intake"),
        Table(columns, rows),
        line_chart(
            "chart-lead-times",
            _("Median hours from intake to first take, to submission and to publication, per week"),
            _(
                "Line chart of the median hours per week for each milestone; the table below also gives the counts "
                "and the 90th percentiles."
            ),
            [_week_label(row["week"]) for row in weeks],
            series,
            unit=_("hours"),
        ),
        note=_("Per week of the milestone: the first take or assignment, the first submission, the publication."),
    )


def _published_panel(stats: dict) -> Panel:
    published = stats["published"]
    ratings, weeks = published["ratings"], published["weeks"]
    rows = [[row["week"], *[row["by_rating"].get(r["slug"], 0) for r in ratings], row["total"]] for row in weeks]
    return Panel(
        "published",
        _("Published verdicts by rating"),
        Table([_("Week of"), *[gettext(rating["label"]) for rating in ratings], _("Total")], rows),
        stacked_bar_chart(
            "chart-published",
            _("Verdicts published per week, by rating"),
            _("Stacked bars of the verdicts published each week, split by rating; the table below gives the numbers."),
            [_week_label(row["week"]) for row in weeks],
            [
                Series(gettext(r["label"]), [row["by_rating"].get(r["slug"], 0) for row in weeks], r["colour"])
                for r in ratings
            ],
        ),
        summary=[(_("Published"), published["total"])],
    )


def _send_backs_panel(stats: dict) -> Panel:
    sent = stats["send_backs"]
    rows = [[row["send_backs"], row["verdicts"]] for row in sent["distribution"]]
    return Panel(
        "send-backs",
        _("Send-backs per verdict"),
        Table([_("Times sent back"), _("Verdicts")], rows),
        bar_chart(
            "chart-send-backs",
            _("Verdicts submitted in the period by the number of times they were sent back"),
            _("Bar chart of the submitted verdicts by number of send-backs; the table below gives the numbers."),
            [f"{row['send_backs']}×" for row in sent["distribution"]],
            [row["verdicts"] for row in sent["distribution"]],
            colour="#e07b24",
        ),
        summary=[
            (_("Verdicts submitted"), sent["verdicts"]),
            (_("Send-backs"), sent["send_backs"]),
            (_("Send-backs per verdict"), sent["per_verdict"]),
        ],
    )


def _corrections_panel(stats: dict) -> Panel:
    corrections = stats["corrections"]
    weeks = corrections["weeks"]
    return Panel(
        "corrections",
        _("Corrections and retractions"),
        Table(
            [_("Week of"), _("Corrections"), _("Retractions")],
            [[row["week"], row["corrections"], row["retractions"]] for row in weeks],
        ),
        stacked_bar_chart(
            "chart-corrections",
            _("Public corrections and retractions per week"),
            _("Bars of the corrections and retractions published each week; the table below gives the numbers."),
            [_week_label(row["week"]) for row in weeks],
            [
                Series(_("Corrections"), [row["corrections"] for row in weeks], "#0b5cad"),
                Series(_("Retractions"), [row["retractions"] for row in weeks], "#cf222e"),
            ],
            grouped=True,
        ),
        summary=[
            (_("Corrections"), corrections["corrections"]),
            (_("Retractions"), corrections["retractions"]),
            (_("Proposed corrections waiting"), corrections["proposed_waiting"]),
        ],
    )


def _people_panel(stats: dict) -> Panel:
    people = stats["people"]
    rows = [
        [
            row["username"],
            row["role"] or "",
            ", ".join(row["languages"]) or _("any"),
            row["in_hand"],
            row["submitted"],
            row["approved"],
            row["approvals_given"],
        ]
        for row in people
    ]
    return Panel(
        "people",
        _("Load and throughput per person"),
        Table(
            [_("Person"), _("Role"), _("Languages"), _("In hand"), _("Submitted"), _("Approved"), _("Approvals given")],
            rows,
        ),
        stacked_bar_chart(
            "chart-people",
            _("Claims in hand, verdicts submitted and verdicts approved, per person"),
            _(
                "Grouped bars per person of the claims in hand now and of the verdicts submitted and approved in the "
                "period; the table below gives the numbers."
            ),
            [row["username"] for row in people],
            [
                Series(_("In hand"), [row["in_hand"] for row in people], "#0b5cad"),
                Series(_("Submitted"), [row["submitted"] for row in people], "#e07b24"),
                Series(_("Approved"), [row["approved"] for row in people], "#1a7f37"),
            ],
            grouped=True,
        ),
        note=_("In hand: active assignments now. Approved: their verdicts approved in the period."),
    )


def _languages_panel(stats: dict) -> Panel:
    languages = stats["languages"]
    rows = [
        [row["language"], row["waiting"], row["in_progress"], row["people"], _("yes") if row["covered"] else _("no")]
        for row in languages
    ]
    return Panel(
        "languages",
        _("Languages covered and waiting"),
        Table([_("Language"), _("Waiting"), _("In progress"), _("People"), _("Covered")], rows),
        stacked_bar_chart(
            "chart-languages",
            _("Open claims per language"),
            _(
                "Stacked bars of the claims waiting and in progress per language; the table below also gives how many "
                "people work in each."
            ),
            [row["language"] + ("" if row["covered"] else _(" (nobody)")) for row in languages],
            [
                Series(_("Waiting"), [row["waiting"] for row in languages], "#c9a227"),
                Series(_("In progress"), [row["in_progress"] for row in languages], "#0b5cad"),
            ],
        ),
        note=_("People: desk members who list the language (en covers en-GB)."),
    )


def _intake_panel(stats: dict) -> Panel:
    intake = stats["intake"]
    channels, weeks = intake["channels"], intake["weeks"]
    rows = [[row["week"], *[row["by_channel"].get(c["channel"], 0) for c in channels], row["total"]] for row in weeks]
    return Panel(
        "intake",
        _("Intake by channel"),
        Table([_("Week of"), *[channel["label"] for channel in channels], _("Total")], rows),
        stacked_bar_chart(
            "chart-intake",
            _("Claims received per week, by channel"),
            _(
                "Stacked bars of the claims received each week, split by intake channel; the table below gives the numbers."
            ),
            [_week_label(row["week"]) for row in weeks],
            [
                Series(
                    c["label"],
                    [row["by_channel"].get(c["channel"], 0) for row in weeks],
                    CHANNEL_COLOURS.get(c["channel"], ""),
                )
                for c in channels
            ],
        ),
        summary=[(_("Claims received"), intake["total"])],
    )


def _matches_panel(stats: dict) -> Panel:
    matches = stats["matches"]
    weeks = matches["weeks"]
    return Panel(
        "matches",
        _("Duplicates and matches found"),
        Table(
            [_("Week of"), _("Duplicates"), _("Similar")],
            [[row["week"], row["duplicates"], row["similar"]] for row in weeks],
        ),
        stacked_bar_chart(
            "chart-matches",
            _("Earlier claims found per week: duplicates and similar claims"),
            _("Stacked bars of the matches found each week; the table below gives the numbers."),
            [_week_label(row["week"]) for row in weeks],
            [
                Series(_("Duplicates"), [row["duplicates"] for row in weeks], "#8250df"),
                Series(_("Similar"), [row["similar"] for row in weeks], "#57a55a"),
            ],
        ),
        summary=[
            (_("Duplicates"), matches["duplicates"]),
            (_("Similar"), matches["similar"]),
            (_("Claims with a match"), matches["claims_with_match"]),
        ],
    )


def _source_panels(stats: dict) -> list[Panel]:
    sources = stats["sources"]
    statuses = sources["by_status"]
    by_status = Panel(
        "sources",
        _("Source fetch outcomes"),
        Table([_("Status"), _("Sources")], [[row["label"], row["count"]] for row in statuses]),
        stacked_bar_chart(
            "chart-sources",
            _("Sources first cited in the period, by fetch status"),
            _("Bar chart of the sources by fetch status now; the table below gives the numbers."),
            [row["label"] for row in statuses],
            [Series(_("Sources"), [row["count"] for row in statuses])],
        ),
    )
    attempts = Panel(
        "fetch-attempts",
        _("Fetch attempts by outcome"),
        Table([_("Outcome"), _("Attempts")], [[row["label"], row["count"]] for row in sources["attempts"]]),
    )
    hosts = Panel(
        "slowest-hosts",
        _("Slowest hosts"),
        Table(
            [_("Host"), _("Attempts"), _("Average ms"), _("Slowest ms")],
            [[row["host"], row["attempts"], row["avg_ms"], row["max_ms"]] for row in sources["slowest_hosts"]],
        ),
        note=_("By average fetch time in the period."),
    )
    return [by_status, attempts, hosts]


def analytics_panels(stats: dict) -> list[Panel]:
    """Every panel of the page, in reading order; each also names a CSV file."""
    return [
        *_backlog_panels(stats),
        _durations_panel(stats),
        _published_panel(stats),
        _send_backs_panel(stats),
        _corrections_panel(stats),
        _people_panel(stats),
        _languages_panel(stats),
        _intake_panel(stats),
        _matches_panel(stats),
        *_source_panels(stats),
    ]


# --- Views ----------------------------------------------------------------------------------------


def analytics(request):
    """The figures for the filters of the query string (default: the last 12 weeks), each as chart, table and CSV."""
    user, person = _analyst(request)
    query = StatsQueryInput(data=request.GET)
    context: dict[str, Any] = {
        "person": person,
        "params": request.GET,
        "channels": Channel.choices,
        "languages": Claim.objects.order_by("language").values_list("language", flat=True).distinct(),
        "tags": Tag.objects.order_by("name").values_list("name", flat=True)[:300],
        "unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count(),
    }
    if not query.is_valid():
        context["errors"] = query.errors
        return render(request, "reviews/analytics.html", context, status=400)
    filters = query.filters()
    stats = desk_stats_cached(filters, person=person)
    context.update(
        stats=stats,
        filters=filters,
        panels=analytics_panels(stats),
        query=_query(filters),
        lead_time=stats["durations"]["overall"]["to_publication"],
    )
    return render(request, "reviews/analytics.html", context)


def analytics_csv(request, name: str):
    """One panel's table as CSV (a header row, then the rows; text cells made inert for spreadsheets)."""
    _user, person = _analyst(request)
    query = StatsQueryInput(data=request.GET)
    if not query.is_valid():
        problems = "; ".join(f"{key}: {' '.join(str(m) for m in messages)}" for key, messages in query.errors.items())
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    filters = query.filters()
    panels = {panel.name: panel for panel in analytics_panels(desk_stats_cached(filters, person=person))}
    panel = panels.get(name)
    if panel is None:
        raise Http404(_("No such table."))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"factcheck-{name}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([spreadsheet_safe(column) for column in panel.table.columns])
    for row in panel.table.rows:
        writer.writerow(["" if cell is None else spreadsheet_safe(cell) for cell in row])
    return response


def _query(filters) -> str:
    params = {key: value for key, value in filters.as_dict().items() if value}
    return urlencode(params)
