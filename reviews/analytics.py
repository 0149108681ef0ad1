"""Desk analytics: the figures an editor reads every morning, computed by the database.

Every figure is an aggregate query (``Count`` with ``filter=``, ``TruncWeek``, subquery counts);
medians and 90th percentiles run in PostgreSQL (``percentile_cont``), elsewhere over one list of
durations fetched as plain values. The result is JSON-ready data (dates as ISO strings, hours as
floats), so that the page, its CSV files and ``/api/v1/stats/`` show the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, StrIndex, Substr, TruncWeek
from django.utils import timezone

from claims.choices import AttemptOutcome, Channel, ClaimStatus, FetchStatus, MatchKind
from claims.models import Citation, Claim, ClaimMatch, FetchAttempt, Source
from claims.selectors import language_filter
from factcheck.cache import cache_or
from reviews.choices import Action, VersionKind
from reviews.models import Assignment, Rating, Verdict, VerdictVersion, WorkflowEvent
from reviews.selectors import role_from_groups

DEFAULT_WEEKS = 12
MAX_PERIOD_DAYS = 731  # two years of weekly points
SLOWEST_HOSTS = 10

OPEN_STATES = (ClaimStatus.NEW, ClaimStatus.ASSIGNED, ClaimStatus.SUBMITTED)
# (key, label, at least this many days old, younger than this many days)
AGE_BUCKETS = (
    ("lt_1d", "< 1 day", 0, 1),
    ("1_3d", "1–3 days", 1, 3),
    ("3_7d", "3–7 days", 3, 7),
    ("7_30d", "7–30 days", 7, 30),
    ("gt_30d", "> 30 days", 30, None),
)
# A claim leaves the backlog when it is published or dismissed, and comes back when reopened.
EXIT_ACTIONS = (Action.APPROVE, Action.DISMISS)
# The milestones whose lead time from intake is measured: the first event of each kind per claim.
MILESTONES = {
    "to_first_take": (Action.TAKE, Action.ASSIGN),
    "to_submission": (Action.SUBMIT,),
    "to_publication": (Action.APPROVE,),
}
MILESTONE_LABELS = {
    "to_first_take": "Intake to first take",
    "to_submission": "Intake to submission",
    "to_publication": "Intake to publication",
}
SEND_BACK_BUCKETS = ("0", "1", "2", "3+")


@dataclass(frozen=True)
class StatsFilters:
    """What the figures cover: claims received or events that happened from ``start`` to ``end`` (dates,
    both included, in the site's time zone), in a language (``en`` also matches ``en-GB``), with a tag,
    from an intake channel. Validated by ``reviews.api.stats.StatsQueryInput``."""

    start: date
    end: date
    language: str = ""
    tag: str = ""
    channel: str = ""

    def as_dict(self) -> dict[str, str | None]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "language": self.language or None,
            "tag": self.tag or None,
            "channel": self.channel or None,
        }


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(q) WITHIN GROUP (ORDER BY …)``: linear interpolation, like ``_percentile``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression: Any, fraction: float, **extra: Any):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), output_field=DurationField(), **extra)


def _database_percentiles() -> bool:
    """Whether the database computes percentiles itself (PostgreSQL's ordered-set aggregates)."""
    return connection.vendor == "postgresql"


def _percentile(ordered: list[float], fraction: float) -> float | None:
    """The same interpolation as ``percentile_cont`` over sorted values (None for none)."""
    if not ordered:
        return None
    rank = (len(ordered) - 1) * fraction
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _hours(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    return round(seconds / 3600, 2)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_key(value: datetime | date) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.isoformat()


def _host() -> Substr:
    """The host of a source's canonical URL (``https://host/path`` -> ``host``), in portable SQL."""
    url = F("source__canonical_url")
    rest = Concat(Substr(url, StrIndex(url, Value("://")) + 3), Value("/"))
    return Substr(rest, 1, StrIndex(rest, Value("/")) - 1)


def _covers(languages: Iterable[str], claim_language: str) -> bool:
    wanted = claim_language.lower()
    return any(wanted == tag.lower() or wanted.startswith(f"{tag.lower()}-") for tag in languages)


@dataclass
class _Desk:
    """One computation of the figures; queries shared by several figures run once."""

    filters: StatsFilters
    person: AbstractBaseUser | None
    now: datetime
    start: datetime = field(init=False)
    end: datetime = field(init=False)
    weeks: list[str] = field(init=False)

    def __post_init__(self) -> None:
        zone = timezone.get_current_timezone()
        self.start = datetime.combine(self.filters.start, time.min, tzinfo=zone)
        self.end = datetime.combine(self.filters.end + timedelta(days=1), time.min, tzinfo=zone)
        first, last = _monday(self.filters.start), _monday(self.filters.end)
        self.weeks = [(first + timedelta(days=7 * n)).isoformat() for n in range((last - first).days // 7 + 1)]

    # --- Scope ---------------------------------------------------------------------------

    @cached_property
    def restricted(self) -> bool:
        filters = self.filters
        return bool(filters.language or filters.tag or filters.channel or self.person is not None)

    def claims(self) -> QuerySet[Claim]:
        """The claims the filters (and, for a fact-checker, their own assignments) keep."""
        claims = Claim.objects.order_by()
        if self.filters.language:
            claims = claims.filter(language_filter([self.filters.language]))
        if self.filters.tag:
            claims = claims.filter(tags__name=self.filters.tag)
        if self.filters.channel:
            claims = claims.filter(channel=self.filters.channel)
        if self.person is not None:
            claims = claims.filter(pk__in=Assignment.objects.filter(assignee=self.person).values("claim_id"))
        return claims

    def scoped(self, queryset: QuerySet, path: str = "claim") -> QuerySet:
        """``queryset`` kept to rows whose claim (at ``path``) is in scope; untouched for the whole desk."""
        if not self.restricted:
            return queryset.order_by()
        return queryset.order_by().filter(**{f"{path}__in": self.claims().values("pk")})

    def sources_scoped(self, queryset: QuerySet, path: str = "pk") -> QuerySet:
        if not self.restricted:
            return queryset.order_by()
        cited = Citation.objects.filter(claim__in=self.claims().values("pk")).values("source_id")
        return queryset.order_by().filter(**{f"{path}__in": cited})

    def in_period(self, name: str) -> Q:
        return Q(**{f"{name}__gte": self.start, f"{name}__lt": self.end})

    def weekly(self, queryset: QuerySet, when: str, *group: str, **aggregates: Any) -> list[dict[str, Any]]:
        rows = (
            queryset.filter(self.in_period(when))
            .annotate(week=TruncWeek(when))
            .values("week", *group)
            .annotate(**aggregates)
            .order_by("week", *group)
        )
        return [{**row, "week": _week_key(row["week"])} for row in rows]

    # --- Shared queries ------------------------------------------------------------------

    @cached_property
    def intake_rows(self) -> list[dict[str, Any]]:
        """Claims received per week and channel."""
        return self.weekly(self.claims(), "created_at", "channel", count=Count("pk"))

    @cached_property
    def event_counts(self) -> list[dict[str, Any]]:
        """Workflow events of the period counted per week, actor and action: a few thousand rows at most."""
        return self.weekly(self.scoped(WorkflowEvent.objects.all()), "created_at", "actor", "action", n=Count("pk"))

    @cached_property
    def event_rows(self) -> dict[str, dict[str, int]]:
        """Workflow events per week, counted by what they did."""
        weeks: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        names = {Action.APPROVE: "closed", Action.DISMISS: "closed", Action.REOPEN: "reopened"}
        names |= {Action.CORRECT: "corrections", Action.RETRACT: "retractions"}
        for row in self.event_counts:
            if row["action"] in names:
                weeks[row["week"]][names[row["action"]]] += row["n"]
        return weeks

    @cached_property
    def people(self) -> list:
        """The desk's people (or the one person), each with their counts (three small grouped queries)."""
        work = Q(groups__permissions__codename="work_claims", groups__permissions__content_type__app_label="reviews")
        users = get_user_model().objects.filter(is_active=True)
        if self.person is not None:
            users = users.filter(pk=self.person.pk)
        else:
            users = users.filter(pk__in=get_user_model().objects.filter(work | Q(is_superuser=True)).values("pk"))
        users = list(users.select_related("reviewer").prefetch_related("groups").order_by("username"))
        mine = {"assignee": self.person} if self.person is not None else {}
        in_hand = dict(
            self.scoped(Assignment.objects.active().filter(**mine))
            .values("assignee")
            .annotate(n=Count("pk"))
            .values_list("assignee", "n")
        )
        acts: dict[tuple[int | None, str], int] = defaultdict(int)
        for row in self.event_counts:
            acts[row["actor"], row["action"]] += row["n"]
        approved = dict(
            self.scoped(
                VerdictVersion.objects.filter(
                    self.in_period("approved_at"),
                    kind=VersionKind.SUBMITTED,
                    **({"author": self.person} if self.person is not None else {}),
                ),
                "verdict__claim",
            )
            .values("author")
            .annotate(n=Count("pk"))
            .values_list("author", "n")
        )
        for user in users:
            user.in_hand = in_hand.get(user.pk, 0)
            user.submitted = acts[user.pk, Action.SUBMIT]
            user.approvals_given = acts[user.pk, Action.APPROVE]
            user.approved = approved.get(user.pk, 0)
        return users

    @cached_property
    def open_rows(self) -> list[dict[str, Any]]:
        """Open claims by state and language, counted per age bucket."""
        now = self.now
        buckets = {}
        for key, _label, older, younger in AGE_BUCKETS:
            condition = Q(created_at__lte=now - timedelta(days=older)) if older else Q()  # the youngest: up to now
            if younger is not None:
                condition &= Q(created_at__gt=now - timedelta(days=younger))
            buckets[key] = Count("pk", filter=condition)
        rows = self.claims().filter(status__in=OPEN_STATES).values("status", "language").annotate(**buckets)
        return [{**row, "count": sum(row[key] for key in buckets)} for row in rows.order_by()]

    # --- Figures -------------------------------------------------------------------------

    def backlog(self) -> dict[str, Any]:
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for row in self.open_rows:
            counts[row["status"], "count"] += row["count"]
            for key, *_ in AGE_BUCKETS:
                counts[row["status"], key] += row[key]
        by_state = [
            {"state": str(state), "label": state.label, "count": counts[state, "count"]} for state in OPEN_STATES
        ]
        by_age = []
        for key, label, _older, _younger in AGE_BUCKETS:
            states = {str(state): counts[state, key] for state in OPEN_STATES}
            by_age.append({"bucket": key, "label": label, **states, "total": sum(states.values())})
        return {
            "total": sum(row["count"] for row in by_state),
            "by_state": by_state,
            "by_age": by_age,
            "trend": self._backlog_trend(),
        }

    def _backlog_trend(self) -> list[dict[str, Any]]:
        """The backlog at the end of each week: claims received, less those closed, plus those reopened."""
        received_before = self.claims().filter(created_at__lt=self.start).count()
        before = self.scoped(WorkflowEvent.objects.filter(created_at__lt=self.start)).aggregate(
            closed=Count("pk", filter=Q(action__in=EXIT_ACTIONS)), reopened=Count("pk", filter=Q(action=Action.REOPEN))
        )
        backlog = received_before - before["closed"] + before["reopened"]
        intake: dict[str, int] = defaultdict(int)
        for row in self.intake_rows:
            intake[row["week"]] += row["count"]
        trend = []
        for week in self.weeks:
            events = self.event_rows.get(week, {})
            closed, reopened = events.get("closed", 0), events.get("reopened", 0)
            backlog += intake[week] - closed + reopened
            trend.append(
                {"week": week, "received": intake[week], "closed": closed, "reopened": reopened, "backlog": backlog}
            )
        return trend

    def durations(self) -> dict[str, Any]:
        """Hours from intake to each milestone (median and 90th percentile), per week of the milestone."""
        per_week, overall = self._milestones()
        empty = {"count": 0, "median_hours": None, "p90_hours": None}
        weeks = [
            {"week": week, **{name: per_week.get((name, week), empty) for name in MILESTONES}} for week in self.weeks
        ]
        return {"overall": {name: overall.get(name, empty) for name in MILESTONES}, "weeks": weeks}

    def _milestones(self) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, dict[str, Any]]]:
        """The first event of each milestone per claim in the period, with the time since intake; one query."""
        milestone = Case(
            *[When(action__in=actions, then=Value(name)) for name, actions in MILESTONES.items()],
            output_field=CharField(),
        )
        actions = [action for group in MILESTONES.values() for action in group]
        earlier = (
            WorkflowEvent.objects.filter(claim=OuterRef("claim"), action__in=actions)
            .alias(milestone=milestone)
            .filter(milestone=OuterRef("milestone"))
            .filter(
                Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
            )
        )
        firsts = (
            self.scoped(WorkflowEvent.objects.filter(self.in_period("created_at"), action__in=actions))
            .annotate(milestone=milestone)
            .exclude(Exists(earlier))
            .annotate(
                week=TruncWeek("created_at"),
                waited=ExpressionWrapper(F("created_at") - F("claim__created_at"), output_field=DurationField()),
            )
            .values_list("milestone", "week", "waited")
        )

        def figure(count: int, median: Any, p90: Any) -> dict[str, Any]:
            return {"count": count, "median_hours": _hours(median), "p90_hours": _hours(p90)}

        per_week: dict[tuple[str, str], dict[str, Any]] = {}
        overall: dict[str, dict[str, Any]] = {}
        if _database_percentiles():
            # The ORM has no GROUPING SETS: the weekly and the whole-period figures from one scan.
            sql, params = firsts.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT milestone, week, COUNT(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY waited),"  # noqa: S608 -- the ORM's own SQL, values as params
                    f" percentile_cont(0.9) WITHIN GROUP (ORDER BY waited) FROM ({sql}) AS firsts"
                    " GROUP BY GROUPING SETS ((milestone, week), (milestone))",
                    params,
                )
                for name, week, count, median, p90 in cursor.fetchall():
                    if week is None:
                        overall[name] = figure(count, median, p90)
                    else:
                        per_week[name, _week_key(week)] = figure(count, median, p90)
            return per_week, overall
        # Elsewhere: one column of durations (with its milestone and week), never model instances.
        seconds: dict[tuple[str, str], list[float]] = defaultdict(list)
        for name, week, waited in firsts:
            seconds[name, _week_key(week)].append(waited.total_seconds())
        every: dict[str, list[float]] = defaultdict(list)
        for (name, week), values in seconds.items():
            values.sort()
            per_week[name, week] = figure(len(values), _percentile(values, 0.5), _percentile(values, 0.9))
            every[name].extend(values)
        for name, values in every.items():
            values.sort()
            overall[name] = figure(len(values), _percentile(values, 0.5), _percentile(values, 0.9))
        return per_week, overall

    def published(self) -> dict[str, Any]:
        """Verdicts first published in the period, per week, by their (current) rating."""
        rows = self.weekly(
            self.scoped(Verdict.objects.filter(published_version__isnull=False)),
            "published_at",
            "published_version__rating__slug",
            count=Count("pk"),
        )
        weeks = {week: {"week": week, "total": 0, "by_rating": {}} for week in self.weeks}
        totals: dict[str, int] = defaultdict(int)
        for row in rows:
            slug = row["published_version__rating__slug"]
            weeks[row["week"]]["by_rating"][slug] = row["count"]
            weeks[row["week"]]["total"] += row["count"]
            totals[slug] += row["count"]
        ratings = [
            {
                "slug": rating["slug"],
                "label": rating["label"],
                "colour": rating["colour"],
                "count": totals[rating["slug"]],
            }
            for rating in Rating.objects.filter(slug__in=totals).values("slug", "label", "colour")
        ]
        return {"total": sum(totals.values()), "ratings": ratings, "weeks": list(weeks.values())}

    def send_backs(self) -> dict[str, Any]:
        """Verdicts submitted in the period, by how many times they were sent back in it."""
        per_claim = (
            self.scoped(
                WorkflowEvent.objects.filter(self.in_period("created_at"), action__in=(Action.SUBMIT, Action.SEND_BACK))
            )
            .values("claim")
            .annotate(
                submits=Count("pk", filter=Q(action=Action.SUBMIT)),
                backs=Count("pk", filter=Q(action=Action.SEND_BACK)),
            )
            .filter(submits__gt=0)
        )
        buckets = {
            "0": Count("claim", filter=Q(backs=0)),
            "1": Count("claim", filter=Q(backs=1)),
            "2": Count("claim", filter=Q(backs=2)),
            "3+": Count("claim", filter=Q(backs__gte=3)),
        }
        totals = per_claim.aggregate(verdicts=Count("claim"), send_backs=Coalesce(Sum("backs"), 0), **buckets)
        verdicts, send_backs = totals["verdicts"], totals["send_backs"]
        return {
            "verdicts": verdicts,
            "send_backs": send_backs,
            "per_verdict": round(send_backs / verdicts, 2) if verdicts else None,
            "distribution": [{"send_backs": key, "verdicts": totals[key]} for key in SEND_BACK_BUCKETS],
        }

    def corrections(self) -> dict[str, Any]:
        """Public corrections and retractions per week; proposed corrections waiting for a second editor now."""
        weeks = []
        for week in self.weeks:
            events = self.event_rows.get(week, {})
            weeks.append(
                {"week": week, "corrections": events.get("corrections", 0), "retractions": events.get("retractions", 0)}
            )
        waiting = self.scoped(
            VerdictVersion.objects.filter(
                kind=VersionKind.CORRECTION, approved_at__isnull=True, rejected_at__isnull=True
            ),
            "verdict__claim",
        ).count()
        return {
            "corrections": sum(row["corrections"] for row in weeks),
            "retractions": sum(row["retractions"] for row in weeks),
            "proposed_waiting": waiting,
            "weeks": weeks,
        }

    def people_figures(self) -> list[dict[str, Any]]:
        return [
            {
                "username": user.get_username(),
                "role": role_from_groups(user),
                "languages": list(getattr(getattr(user, "reviewer", None), "languages", []) or []),
                "in_hand": user.in_hand,
                "submitted": user.submitted,
                "approved": user.approved,
                "approvals_given": user.approvals_given,
            }
            for user in self.people
        ]

    def languages(self) -> list[dict[str, Any]]:
        """Open claims per language now, beside the number of people who work in it."""
        claims: dict[str, dict[str, int]] = defaultdict(lambda: {"waiting": 0, "in_progress": 0})
        for row in self.open_rows:
            claims[row["language"]]["waiting" if row["status"] == ClaimStatus.NEW else "in_progress"] += row["count"]
        spoken = [list(getattr(getattr(user, "reviewer", None), "languages", []) or []) for user in self.people]
        listed = {tag for languages in spoken for tag in languages}
        result = []
        for language in set(claims) | listed:
            people = sum(1 for languages in spoken if _covers(languages, language))
            counts = claims.get(language, {"waiting": 0, "in_progress": 0})
            result.append({"language": language, **counts, "people": people, "covered": people > 0})
        result.sort(key=lambda row: (-row["waiting"], -row["in_progress"], row["language"]))
        return result

    def intake(self) -> dict[str, Any]:
        weeks = {week: {"week": week, "total": 0, "by_channel": {}} for week in self.weeks}
        totals: dict[str, int] = defaultdict(int)
        for row in self.intake_rows:
            weeks[row["week"]]["by_channel"][row["channel"]] = row["count"]
            weeks[row["week"]]["total"] += row["count"]
            totals[row["channel"]] += row["count"]
        channels = [{"channel": str(c), "label": str(c.label), "count": totals[c]} for c in Channel]
        return {"total": sum(totals.values()), "channels": channels, "weeks": list(weeks.values())}

    def matches(self) -> dict[str, Any]:
        """Earlier claims found to say the same thing (duplicates) or something close (similar)."""
        matches = self.scoped(ClaimMatch.objects.all())
        kinds = {
            "duplicates": Count("pk", filter=Q(kind=MatchKind.DUPLICATE)),
            "similar": Count("pk", filter=Q(kind=MatchKind.SIMILAR)),
        }
        totals = matches.filter(self.in_period("created_at")).aggregate(
            **kinds, claims_with_match=Count("claim", distinct=True)
        )
        rows = {row.pop("week"): row for row in self.weekly(matches, "created_at", **kinds)}
        weeks = [
            {
                "week": week,
                "duplicates": rows.get(week, {}).get("duplicates", 0),
                "similar": rows.get(week, {}).get("similar", 0),
            }
            for week in self.weeks
        ]
        return {**totals, "weeks": weeks}

    def sources(self) -> dict[str, Any]:
        """Sources first cited in the period by fetch status; fetch attempts by outcome; the slowest hosts."""
        statuses = dict(
            self.sources_scoped(Source.objects.filter(self.in_period("created_at")))
            .values("fetch_status")
            .annotate(n=Count("pk"))
            .values_list("fetch_status", "n")
        )
        rows = (
            self.sources_scoped(FetchAttempt.objects.filter(self.in_period("started_at")), "source")
            .annotate(host=_host())
            .values("host", "outcome")
            .annotate(n=Count("pk"), total_ms=Sum("duration_ms"), max_ms=Max("duration_ms"))
        )
        outcomes: dict[str, int] = defaultdict(int)
        hosts: dict[str, dict[str, int]] = defaultdict(lambda: {"attempts": 0, "total_ms": 0, "max_ms": 0})
        for row in rows:
            outcomes[row["outcome"]] += row["n"]
            host = hosts[row["host"]]
            host["attempts"] += row["n"]
            host["total_ms"] += row["total_ms"] or 0
            host["max_ms"] = max(host["max_ms"], row["max_ms"] or 0)
        slowest = sorted(hosts.items(), key=lambda item: (-item[1]["total_ms"] / item[1]["attempts"], item[0]))
        return {
            "by_status": [
                {"status": str(status), "label": status.label, "count": statuses.get(status, 0)}
                for status in FetchStatus
            ],
            "attempts": [
                {"outcome": str(outcome), "label": outcome.label, "count": outcomes.get(outcome, 0)}
                for outcome in AttemptOutcome
            ],
            "slowest_hosts": [
                {
                    "host": host,
                    "attempts": row["attempts"],
                    "avg_ms": round(row["total_ms"] / row["attempts"], 1),
                    "max_ms": row["max_ms"],
                }
                for host, row in slowest[:SLOWEST_HOSTS]
            ],
        }


def desk_stats_cached(filters: StatsFilters, *, person: AbstractBaseUser | None = None) -> dict:
    """``desk_stats`` at most ``ANALYTICS_CACHE_SECONDS`` old (default 60; 0: always afresh).

    A dashboard that several editors refresh, or a program that polls the API, then costs the
    database one computation a minute per set of filters; without the cache it is computed afresh.
    """
    seconds = settings.ANALYTICS_CACHE_SECONDS
    if seconds <= 0:
        return desk_stats(filters, person=person)
    scope = {"filters": filters.as_dict(), "person": person.pk if person is not None else None}
    key = "analytics:" + hashlib.sha256(json.dumps(scope, sort_keys=True).encode()).hexdigest()
    cached = cache_or(lambda: cache.get(key), None, what="analytics")
    if cached is not None:
        return cached
    stats = desk_stats(filters, person=person)
    cache_or(lambda: cache.set(key, stats, seconds), None, what="analytics")
    return stats


def desk_stats(filters: StatsFilters, *, person: AbstractBaseUser | None = None, now: datetime | None = None) -> dict:
    """Every figure of the desk for ``filters``: the whole desk, or (``person``) the claims they were given.

    ``person`` is how a fact-checker sees the desk: their own row of the per-person table and the
    totals of the claims assigned to them at some point.
    """
    desk = _Desk(filters, person, now or timezone.now())
    return {
        "filters": filters.as_dict(),
        "person": person.get_username() if person is not None else None,
        "weeks": desk.weeks,
        "backlog": desk.backlog(),
        "durations": desk.durations(),
        "published": desk.published(),
        "send_backs": desk.send_backs(),
        "corrections": desk.corrections(),
        "people": desk.people_figures(),
        "languages": desk.languages(),
        "intake": desk.intake(),
        "matches": desk.matches(),
        "sources": desk.sources(),
    }
