"""Read queries of the review desk: the queue, someone's claims, the desk's load, a claim's history.

Each returns a queryset shaped for its listing (related rows joined or prefetched), so
that a page costs the same number of queries whatever its length.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, Lower

from claims.choices import ClaimStatus, FetchStatus
from claims.models import Citation, Claim
from claims.selectors import language_filter
from reviews.choices import Role
from reviews.models import Assignment, WorkflowEvent
from reviews.people import ROLE_GROUPS

WAITING_FETCH = (FetchStatus.PENDING, FetchStatus.FETCHING)

# The queue's order; the partial indexes of migration 0006 hold exactly this order.
QUEUE_ORDER = ("-priority", "created_at", "id")


class LanguageFamily(Func):
    """A language tag's primary subtag, lower-cased (``en-GB`` -> ``en``): the key of the per-language queue index.

    Written with literal arguments so that the SQL is the index expression of migration 0006 whatever
    the parameter binding; SQLite has no ``split_part`` and is served without it.
    """

    template = "split_part(%(expressions)s, '-', 1)"
    output_field = CharField()

    def __init__(self, field: str = "language"):
        super().__init__(Lower(field))


def language_family(tag: str) -> str:
    return tag.lower().split("-", 1)[0]


def queue_new(languages: list[str] | None = None) -> QuerySet[Claim]:
    """The queue: new claims in these languages (none: any), most urgent first, then oldest first.

    With languages of one family (``en``, ``en-GB``) the database reads that family's part of the
    queue index in order and stops at the first claim, however many claims in other languages wait
    ahead of it; the family condition is implied by the language filter, so it never changes the
    answer. Several families read the whole queue index in order (``family IN (...)`` would make
    PostgreSQL sort every matching claim).
    """
    claims = Claim.objects.filter(status=ClaimStatus.NEW)
    if languages:
        claims = claims.filter(language_filter(languages))
        families = sorted({language_family(tag) for tag in languages})
        if len(families) == 1 and connection.vendor == "postgresql":
            claims = claims.alias(language_family=LanguageFamily()).filter(language_family=families[0])
    return claims.order_by(*QUEUE_ORDER)


def queue_claims(
    *,
    languages: list[str] | None = None,
    tag: str | None = None,
    channel: str | None = None,
    has_sources_fetched: bool | None = None,
) -> QuerySet[Claim]:
    """New claims, most urgent first, then oldest first (the order ``claim_take_next`` serves them).

    ``has_sources_fetched=True`` keeps claims none of whose cited sources is still waiting
    to be fetched; ``False`` keeps those with at least one source still waiting.
    """
    claims = queue_new(languages).with_sources()
    if tag:
        claims = claims.filter(tags__name=" ".join(tag.split()).lower())
    if channel:
        claims = claims.filter(channel=channel)
    if has_sources_fetched is not None:
        waiting = Exists(Citation.objects.filter(claim=OuterRef("pk"), source__fetch_status__in=WAITING_FETCH))
        claims = claims.filter(~waiting if has_sources_fetched else waiting)
    return claims


def claim_sources_load(claim: Claim) -> Claim:
    """Load the tags and cited sources of a claim already in hand (what ``with_sources`` prefetches)."""
    prefetch_related_objects(
        [claim], "tags", Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("id"))
    )
    return claim


def my_assignments(user: AbstractBaseUser) -> QuerySet[Assignment]:
    """The person's active assignments with their claims, newest first."""
    claims = Claim.objects.with_sources()
    return (
        Assignment.objects.active()
        .filter(assignee=user)
        .select_related("assigned_by")
        .prefetch_related(Prefetch("claim", queryset=claims))
        .order_by("-id")
    )


def factcheckers_with_load(*, only_factchecker_role: bool = False) -> QuerySet:
    """Active people who may work on claims, each with ``active_assignments`` counted.

    With ``only_factchecker_role`` only members of the fact-checker group (for auto-assignment:
    editors are not handed work by the machine).
    """
    users = get_user_model().objects.filter(is_active=True)
    if only_factchecker_role:
        users = users.filter(groups__name=ROLE_GROUPS[Role.FACTCHECKER])
    else:
        work = Q(codename="work_claims", content_type__app_label="reviews")
        users = users.filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=_permissions(work))
            | Q(user_permissions__in=_permissions(work))
        )
    counts = (
        Assignment.objects.active()
        .filter(assignee=OuterRef("pk"))
        .order_by()
        .values("assignee")
        .annotate(n=Count("id"))
        .values("n")
    )
    ids = users.values("pk")  # the joins above may repeat a person; select each once
    return (
        get_user_model()
        .objects.filter(pk__in=ids)
        .select_related("reviewer")
        .prefetch_related("groups")
        .annotate(active_assignments=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)))
        .order_by("username")
    )


def _permissions(query: Q):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(query)


def role_from_groups(user: AbstractBaseUser) -> str | None:
    """``people.role_of`` over prefetched groups (no query per person)."""
    names = {group.name for group in user.groups.all()}
    for role in (Role.ADMIN, Role.EDITOR, Role.FACTCHECKER):
        if ROLE_GROUPS[role] in names:
            return str(role)
    return str(Role.ADMIN) if user.is_superuser else None


def claim_history(claim_id: int) -> QuerySet[WorkflowEvent]:
    return WorkflowEvent.objects.filter(claim_id=claim_id).select_related("actor").order_by("created_at", "id")
