"""The review workflow as an explicit state machine: one table, one service per transition.

Every transition locks the claim row, checks the actor's permission and the
current state inside the transaction, writes the new state and an audit row
(``WorkflowEvent``), and sends notifications after commit.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from claims.choices import ClaimStatus
from claims.intake.services import claim_cite
from claims.models import Claim
from claims.tips.notify import tip_notifications_create
from claims.tips.services import tips_merge
from reviews.choices import Action, NotificationKind, VersionKind
from reviews.errors import InvalidReview, NotAllowed, WorkflowError
from reviews.evidence import evidence_validate
from reviews.models import Assignment, DraftWriter, Rating, Verdict, VerdictVersion, VersionWriter, WorkflowEvent
from reviews.notifications import notify
from reviews.selectors import factcheckers_with_load, queue_new
from reviews.webhooks import webhook_events_emit

logger = logging.getLogger(__name__)

WORK = "reviews.work_claims"
EDIT = "reviews.edit_claims"
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the state does not change (e.g. a correction)
    permission: str
    needs_comment: bool = False


S = ClaimStatus
TRANSITIONS: dict[str, Transition] = {
    Action.TAKE: Transition(frozenset({S.NEW}), S.ASSIGNED, WORK),
    Action.ASSIGN: Transition(frozenset({S.NEW, S.ASSIGNED}), S.ASSIGNED, EDIT),
    Action.SUBMIT: Transition(frozenset({S.ASSIGNED}), S.SUBMITTED, WORK),
    Action.APPROVE: Transition(frozenset({S.SUBMITTED}), S.PUBLISHED, EDIT),
    Action.SEND_BACK: Transition(frozenset({S.SUBMITTED}), S.ASSIGNED, EDIT, needs_comment=True),
    Action.DISMISS: Transition(frozenset({S.NEW, S.ASSIGNED}), S.DISMISSED, EDIT, needs_comment=True),
    Action.REOPEN: Transition(frozenset({S.DISMISSED}), S.NEW, EDIT),
    Action.CORRECT: Transition(frozenset({S.PUBLISHED}), None, EDIT, needs_comment=True),
    # A correction of the rating or the summary waits for a second editor (four eyes).
    Action.PROPOSE_CORRECTION: Transition(frozenset({S.PUBLISHED}), None, EDIT, needs_comment=True),
    Action.APPROVE_CORRECTION: Transition(frozenset({S.PUBLISHED}), None, EDIT),
    Action.REJECT_CORRECTION: Transition(frozenset({S.PUBLISHED}), None, EDIT, needs_comment=True),
    Action.RETRACT: Transition(frozenset({S.PUBLISHED}), S.RETRACTED, EDIT, needs_comment=True),
    Action.RELEASE: Transition(frozenset({S.ASSIGNED}), S.NEW, SYSTEM),
    # A claim made from a reader's tip, closed by moving its tips (and their contacts) to another claim.
    Action.MERGE: Transition(frozenset({S.NEW, S.ASSIGNED}), S.DISMISSED, EDIT),
}
# Publication events after which the claim's tipsters are told (once each: claims.tips.notify).
TIPSTERS_TOLD_ON = frozenset({"verdict.published", "verdict.corrected"})


_UNKNOWN = object()


def allowed_actions(actor: AbstractBaseUser, claim: Claim, *, assignee_id: int | object | None = _UNKNOWN) -> list[str]:
    """Actions this person could take on this claim now (for buttons and the API).

    Pass ``assignee_id`` when the caller already knows the active assignee: one query fewer.
    """
    actions = []
    correction: VerdictVersion | object | None = _UNKNOWN
    for action, rule in TRANSITIONS.items():
        if rule.permission == SYSTEM or claim.status not in rule.sources:
            continue
        if action in (Action.PROPOSE_CORRECTION, Action.MERGE):
            continue  # proposing is what ``correct`` does; merging has its own endpoint and needs a target
        if not actor.has_perm(rule.permission):
            continue
        if action == Action.SUBMIT:
            if assignee_id is _UNKNOWN:
                assignee_id = _active_assignee_id(claim)
            if assignee_id != actor.pk:
                continue
        if action == Action.APPROVE:
            pending = _pending_submission(claim)
            if pending is None or actor.pk in _writer_ids(pending):
                continue  # nobody approves a verdict they wrote or edited
        if action in (Action.CORRECT, Action.APPROVE_CORRECTION, Action.REJECT_CORRECTION):
            if correction is _UNKNOWN:
                correction = _pending_correction(claim)
            if (action == Action.CORRECT) != (correction is None):
                continue  # one proposed correction at a time; it is decided before the next
            if action == Action.APPROVE_CORRECTION and actor.pk in _writer_ids(correction):
                continue
        actions.append(str(action))
    return actions


def _active_assignee_id(claim: Claim) -> int | None:
    assignment = claim.assignments.active().only("assignee_id", "claim_id").first()
    return assignment.assignee_id if assignment else None


def _pending_submission(claim: Claim) -> VerdictVersion | None:
    return (
        VerdictVersion.objects.filter(verdict__claim=claim, approved_by__isnull=True, kind=VersionKind.SUBMITTED)
        .order_by("-number")
        .first()
    )


def _pending_correction(claim: Claim) -> VerdictVersion | None:
    """The proposed correction waiting for a second editor, if any."""
    return VerdictVersion.objects.filter(
        verdict__claim=claim, kind=VersionKind.CORRECTION, approved_at__isnull=True, rejected_at__isnull=True
    ).first()


def _writer_ids(version: VerdictVersion) -> set[int]:
    """Everyone who wrote or edited any part of this version (its author included)."""
    ids = set(VersionWriter.objects.filter(version=version).values_list("user_id", flat=True))
    return ids | {version.author_id}


def _version_create(verdict: Verdict, writer_ids: Iterable[int], **fields: Any) -> VerdictVersion:
    """A new immutable version and the record of who wrote it."""
    version = VerdictVersion.objects.create(verdict=verdict, number=verdict.versions.count() + 1, **fields)
    ids = set(writer_ids) | {version.author_id}
    VersionWriter.objects.bulk_create([VersionWriter(version=version, user_id=user_id) for user_id in sorted(ids)])
    return version


def _approve(version: VerdictVersion, actor: AbstractBaseUser, now) -> None:
    """Record the approval; the service has checked four eyes, and the database trigger checks again."""
    if actor.pk in _writer_ids(version):
        raise NotAllowed(
            _(
                "You wrote or edited this version (drafts, submissions and edits after a send-back all count); "
                "another editor must approve it."
            )
        )
    version.approved_by = actor
    version.approved_at = now
    try:
        with transaction.atomic():
            version.save(update_fields=["approved_by", "approved_at"])
    except IntegrityError as exc:  # a writer was recorded concurrently: the trigger refused
        raise NotAllowed(_("You wrote or edited this version; another editor must approve it.")) from exc


# The verb of each action inside "You may not … claims." and "Cannot … a claim that is …".
ACTION_VERBS = {
    Action.TAKE: pgettext_lazy("workflow verb", "take"),
    Action.ASSIGN: pgettext_lazy("workflow verb", "assign"),
    Action.SUBMIT: pgettext_lazy("workflow verb", "submit"),
    Action.APPROVE: pgettext_lazy("workflow verb", "approve"),
    Action.SEND_BACK: pgettext_lazy("workflow verb", "send back"),
    Action.DISMISS: pgettext_lazy("workflow verb", "dismiss"),
    Action.REOPEN: pgettext_lazy("workflow verb", "reopen"),
    Action.CORRECT: pgettext_lazy("workflow verb", "correct"),
    Action.PROPOSE_CORRECTION: pgettext_lazy("workflow verb", "propose correction"),
    Action.APPROVE_CORRECTION: pgettext_lazy("workflow verb", "approve correction"),
    Action.REJECT_CORRECTION: pgettext_lazy("workflow verb", "reject correction"),
    Action.RETRACT: pgettext_lazy("workflow verb", "retract"),
    Action.RELEASE: pgettext_lazy("workflow verb", "release"),
}


def _verb(action: str) -> str:
    return str(ACTION_VERBS.get(action, action.replace("_", " ")))


def _check(actor: AbstractBaseUser | None, claim: Claim, action: str, comment: str) -> Transition:
    rule = TRANSITIONS[action]
    if rule.permission != SYSTEM and (actor is None or not actor.has_perm(rule.permission)):
        raise NotAllowed(_("You may not %(action)s claims.") % {"action": _verb(action)})
    if claim.status not in rule.sources:
        raise WorkflowError(
            _("Cannot %(action)s a claim that is %(state)s (state: %(code)s).")
            % {"action": _verb(action), "state": claim.get_status_display().lower(), "code": claim.status}
        )
    if rule.needs_comment and not comment.strip():
        raise InvalidReview({"comment": [_("A comment is required for this action.")]})
    return rule


def _transition(
    actor: AbstractBaseUser | None,
    claim_id: int,
    action: str,
    comment: str = "",
    *,
    apply: Callable[[Claim], dict[str, Any] | None] | None = None,
    public: bool = False,
    webhook_event: str | None = None,
    record_as: str | None = None,
) -> Claim:
    with transaction.atomic():
        claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None:
            raise Claim.DoesNotExist(_("No claim %(id)s.") % {"id": claim_id})
        rule = _check(actor, claim, action, comment)
        data = (apply(claim) if apply else None) or {}
        from_state = claim.status
        if rule.target is not None:
            claim.status = rule.target
            claim.save(update_fields=["status", "updated_at"])
        WorkflowEvent.objects.create(
            claim=claim,
            actor=actor,
            action=record_as or action,
            from_state=from_state,
            to_state=claim.status,
            comment=comment.strip(),
            public=public,
            data=data,
        )
        if webhook_event:
            # Recorded in the same transaction (an outbox): the deliveries survive a crash
            # right after commit, and the sweep sends whatever was not enqueued.
            webhook_events_emit(webhook_event, claim.verdict.pk)
        if webhook_event in TIPSTERS_TOLD_ON:
            _tipsters_tell(claim.pk)
    return claim


def _tipsters_tell(claim_id: int) -> None:
    """Write the tipsters' notifications in the publishing transaction (an outbox), never failing it."""
    try:
        with transaction.atomic():
            tip_notifications_create(claim_id)
    except Exception:
        logger.exception("could not record the tip notifications of claim %s", claim_id)


# --- Assignment -----------------------------------------------------------------------------


def _due_at():
    return timezone.now() + timedelta(hours=settings.ASSIGNMENT_TIMEOUT_HOURS)


def _assign(
    claim: Claim, assignee: AbstractBaseUser, assigned_by: AbstractBaseUser | None, *, release_previous: bool = True
) -> Assignment:
    """A new active assignment; ``release_previous=False`` when the claim has none (it is new): one query fewer."""
    if release_previous:
        Assignment.objects.active().filter(claim=claim).update(released_at=timezone.now(), release_reason="reassigned")
    return Assignment.objects.create(claim=claim, assignee=assignee, assigned_by=assigned_by, due_at=_due_at())


# The active assignment a service just made, kept on the claim it returns so that rendering
# the claim (``reviews.api.serializers.claim_workflow``) need not query it again.
ASSIGNMENT_IN_HAND = "_workflow_active_assignment"


def active_assignment(claim: Claim) -> Assignment | None:
    """The claim's active assignment with its assignee: the one a service left on it, else from the database."""
    if hasattr(claim, ASSIGNMENT_IN_HAND):
        return getattr(claim, ASSIGNMENT_IN_HAND)
    return claim.assignments.active().select_related("assignee").first()


def languages_of(user: AbstractBaseUser) -> list[str]:
    reviewer = getattr(user, "reviewer", None)
    return list(reviewer.languages) if reviewer is not None else []


@functools.lru_cache(maxsize=256)
def _take_top_sql(languages: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    """``UPDATE … WHERE id = (SELECT id … ORDER BY … LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING …``.

    Locks the queue's top claim, skipping claims others hold, and marks it assigned in one statement;
    the row stays locked until the transaction ends, as with a locking SELECT and a save. Compiled
    once per set of languages (a desk has few): the ORM's compiler cost more than the statement.
    Parameters: the new status and ``updated_at``, then the returned ones.
    """
    select, params = queue_new(list(languages)).values("pk")[:1].query.sql_with_params()
    if connection.features.has_select_for_update_skip_locked:  # SQLite: a write locks the database anyway
        # Added here rather than by ``select_for_update``, which refuses to compile outside a
        # transaction: on PostgreSQL the statement is a transaction of its own.
        select = f"{select} {connection.ops.for_update_sql(skip_locked=True)}"
    meta = Claim._meta
    quote = connection.ops.quote_name
    status, updated_at = (quote(meta.get_field(name).column) for name in ("status", "updated_at"))
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {status} = %s, {updated_at} = %s "  # noqa: S608 -- names from model metadata, values as params
        f"WHERE {quote(meta.pk.column)} = ({select}) RETURNING {columns}"
    )
    return sql, tuple(params)


@functools.cache
def _insert_from_taken_sql(model: type[models.Model], alias: str) -> tuple[str, tuple[models.Field, ...]]:
    """``alias AS (INSERT INTO <table> (…) SELECT taken.id, … FROM taken RETURNING id)`` and its fields.

    Every value is cast to its column's type: untyped parameters in a SELECT list would be text.
    """
    meta = model._meta
    quote = connection.ops.quote_name
    fields = tuple(field for field in meta.concrete_fields if not field.primary_key and field.name != "claim")
    columns = ", ".join(quote(field.column) for field in [meta.get_field("claim"), *fields])
    values = ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in fields)
    sql = (
        f"{alias} AS (INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 -- names from model metadata, values as params
        f"SELECT taken.{quote(Claim._meta.pk.column)}, {values} FROM taken RETURNING {quote(meta.pk.column)})"
    )
    return sql, fields


def _insert_values(instance: models.Model, fields: tuple[models.Field, ...]) -> list[Any]:
    """The values Django would insert for ``instance`` (defaults included)."""
    return [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]


def _take_in_one_statement(languages: tuple[str, ...], assignment: Assignment, event: WorkflowEvent) -> Claim | None:
    """PostgreSQL: lock and mark the top claim, insert its assignment and its audit row, in one statement.

    One round trip and no transaction around it: the row lock lasts as long as the statement,
    not as long as a request's Python between the statements of a transaction.
    """
    take, take_params = _take_top_sql(languages)
    insert_assignment, assignment_fields = _insert_from_taken_sql(Assignment, "assignment")
    insert_event, event_fields = _insert_from_taken_sql(WorkflowEvent, "event")
    sql = (
        f"WITH taken AS ({take}), {insert_assignment}, {insert_event} "  # noqa: S608 -- built above from model metadata
        "SELECT taken.*, assignment.id AS taken_assignment_id FROM taken CROSS JOIN assignment"
    )
    params = [
        ClaimStatus.ASSIGNED,
        timezone.now(),
        *take_params,
        *_insert_values(assignment, assignment_fields),
        *_insert_values(event, event_fields),
    ]
    claim = next(iter(Claim.objects.raw(sql, params)), None)
    if claim is not None:
        assignment.claim = claim
        assignment.pk = claim.taken_assignment_id
        assignment._state.adding = False
        assignment._state.db = claim._state.db
    return claim


def _take_in_a_transaction(languages: tuple[str, ...], assignment: Assignment, event: WorkflowEvent) -> Claim | None:
    """Other databases (SQLite): the same three writes as three statements in a transaction."""
    with transaction.atomic():
        sql, params = _take_top_sql(languages)
        claim = next(iter(Claim.objects.raw(sql, [ClaimStatus.ASSIGNED, timezone.now(), *params])), None)
        if claim is None:
            return None
        assignment.claim = event.claim = claim
        assignment.save(force_insert=True)
        event.save(force_insert=True)
    return claim


def claim_take_next(actor: AbstractBaseUser) -> Claim | None:
    """Give the caller the top queued claim in their languages; never the same claim to two people.

    The queue's top row is locked with ``SKIP LOCKED`` (people taking at once get different claims)
    and the active-assignment constraint backs it up; the audit row is written with the claim.
    """
    if not actor.has_perm(WORK):
        raise NotAllowed(_("You may not take claims."))
    languages = tuple(languages_of(actor))
    one_statement = connection.vendor == "postgresql"
    for _attempt in range(3):
        # A new claim has no active assignment (every way out of ``assigned`` releases it).
        assignment = Assignment(assignee=actor, assigned_by=actor, due_at=_due_at())
        event = WorkflowEvent(
            actor=actor, action=Action.TAKE, from_state=ClaimStatus.NEW, to_state=ClaimStatus.ASSIGNED
        )
        try:
            if not one_statement:
                claim = _take_in_a_transaction(languages, assignment, event)
            elif connection.in_atomic_block:  # a savepoint, so that a lost race can be retried
                with transaction.atomic():
                    claim = _take_in_one_statement(languages, assignment, event)
            else:  # one statement is a transaction of its own
                claim = _take_in_one_statement(languages, assignment, event)
        except IntegrityError:
            continue  # lost a race on the active-assignment constraint (SQLite has no SKIP LOCKED)
        if claim is not None:
            setattr(claim, ASSIGNMENT_IN_HAND, assignment)
        return claim
    return None


def claim_assign(actor: AbstractBaseUser, claim_id: int, assignee: AbstractBaseUser) -> Claim:
    """An editor assigns (or reassigns) a claim to a fact-checker."""
    if not assignee.is_active or not assignee.has_perm(WORK):
        raise InvalidReview({"user": [_("%(person)s cannot work on claims.") % {"person": assignee.get_username()}]})

    def apply(claim: Claim) -> dict:
        _assign(claim, assignee, actor)
        transaction.on_commit(
            lambda: notify(
                assignee, NotificationKind.ASSIGNED, claim, gettext_lazy("Claim %(claim)s was assigned to you.")
            )
        )
        return {"assignee": assignee.get_username()}

    return _transition(actor, claim_id, Action.ASSIGN, apply=apply)


def claims_assign(actor: AbstractBaseUser, claim_ids: Iterable[int], assignee: AbstractBaseUser) -> list[Claim]:
    """Assign many claims at once: all or nothing."""
    claims = []
    with transaction.atomic():
        for claim_id in sorted(set(claim_ids)):
            try:
                claims.append(claim_assign(actor, claim_id, assignee))
            except WorkflowError as exc:
                raise WorkflowError(
                    _("Claim %(id)s: %(error)s Nothing was assigned.") % {"id": claim_id, "error": exc}
                ) from exc
            except Claim.DoesNotExist as exc:
                raise Claim.DoesNotExist(_("No claim %(id)s. Nothing was assigned.") % {"id": claim_id}) from exc
    return claims


def _speaks(languages: list[str], claim_language: str) -> bool:
    """Whether someone working in ``languages`` (empty: any) can take a claim in ``claim_language``."""
    if not languages:
        return True
    wanted = claim_language.lower()
    return any(wanted == lang.lower() or wanted.startswith(f"{lang.lower()}-") for lang in languages)


def claim_auto_assign(claim_id: int) -> AbstractBaseUser | None:
    """AUTO_ASSIGN: give a new claim to the least-loaded active fact-checker who works in its language.

    Returns the assignee, or ``None`` when the claim is no longer new or nobody fits.
    """
    with transaction.atomic():
        claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None or claim.status != ClaimStatus.NEW:
            return None
        candidates = [
            person
            for person in factcheckers_with_load(only_factchecker_role=True)
            if _speaks(languages_of(person), claim.language)
        ]
        if not candidates:
            return None
        assignee = min(candidates, key=lambda person: (person.active_assignments, person.pk))
        _assign(claim, assignee, None)
        claim.status = ClaimStatus.ASSIGNED
        claim.save(update_fields=["status", "updated_at"])
        WorkflowEvent.objects.create(
            claim=claim,
            actor=None,
            action=Action.ASSIGN,
            from_state=ClaimStatus.NEW,
            to_state=claim.status,
            data={"assignee": assignee.get_username(), "auto": True},
        )
        transaction.on_commit(
            lambda: notify(
                assignee, NotificationKind.ASSIGNED, claim, gettext_lazy("Claim %(claim)s was assigned to you.")
            )
        )
    return assignee


def assignments_release_stale(now=None) -> int:
    """Return claims idle past ASSIGNMENT_TIMEOUT_HOURS to the queue (a beat job)."""
    now = now or timezone.now()
    released = 0
    stale = Assignment.objects.active().filter(due_at__lt=now, claim__status=ClaimStatus.ASSIGNED)
    for claim_id in stale.values_list("claim_id", flat=True)[:500]:

        def apply(claim: Claim) -> dict:
            Assignment.objects.active().filter(claim=claim).update(released_at=now, release_reason="timeout")
            return {"reason": "idle past the assignment timeout"}

        try:
            _transition(None, claim_id, Action.RELEASE, apply=apply)
            released += 1
        except WorkflowError:
            continue  # submitted or moved meanwhile
    return released


# --- The verdict ----------------------------------------------------------------------------


def _rating(slug: str) -> Rating:
    rating = Rating.objects.filter(slug=slug, active=True).first()
    if rating is None:
        known = ", ".join(Rating.objects.filter(active=True).values_list("slug", flat=True))
        raise InvalidReview(
            {"rating": [_("Unknown rating %(slug)r. Choose one of: %(known)s.") % {"slug": slug, "known": known}]}
        )
    return rating


def verdict_save_draft(
    actor: AbstractBaseUser, claim_id: int, data: dict[str, Any], *, reused_from: VerdictVersion | None = None
) -> Verdict:
    """Save the assignee's working draft (rating, summary, analysis, evidence); no state change.

    Whoever changes the draft becomes one of its writers, as do the writers of a version whose
    text is reused (``reused_from``): none of them may approve the version submitted from it.
    """

    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.status != ClaimStatus.ASSIGNED:
            raise WorkflowError(
                _("The verdict can only be edited while the claim is assigned (state: %(code)s).")
                % {"code": claim.status}
            )
        if _active_assignee_id(claim) != actor.pk:
            raise NotAllowed(_("Only the claim's assignee writes its verdict."))
        verdict, _created = Verdict.objects.get_or_create(claim=claim)
        before = _draft_content(verdict)
        errors: dict[str, list[str]] = {}
        if "rating" in data:
            if data["rating"] in (None, ""):
                verdict.draft_rating = None
            else:
                try:
                    verdict.draft_rating = _rating(str(data["rating"]))
                except InvalidReview as exc:
                    errors.update(exc.fields)
        for field, limit in (("summary", 2000), ("analysis", 100_000)):
            if field in data:
                value = data[field]
                if not isinstance(value, str):
                    errors[field] = [_("Must be text.")]
                elif len(value) > limit:
                    errors[field] = [_("At most %(limit)d characters.") % {"limit": limit}]
                else:
                    setattr(verdict, f"draft_{field}", value.strip())
        if "evidence" in data:
            try:
                verdict.draft_evidence = evidence_validate(data["evidence"])
            except InvalidReview as exc:
                errors.update(exc.fields)
            else:  # evidence URLs join the claim's sources and the fetch pipeline
                claim_cite(claim, [item["url"] for item in verdict.draft_evidence], context="verdict evidence")
        if errors:
            raise InvalidReview(errors)
        writer_ids = set()
        if _draft_content(verdict) != before:
            writer_ids.add(actor.pk)
        if reused_from is not None:
            writer_ids |= _writer_ids(reused_from)
        DraftWriter.objects.bulk_create(
            [DraftWriter(verdict=verdict, user_id=user_id) for user_id in sorted(writer_ids)], ignore_conflicts=True
        )
        verdict.draft_saved_at = timezone.now()
        verdict.save()
        Assignment.objects.active().filter(claim=claim).update(last_activity_at=timezone.now(), due_at=_due_at())
    return verdict


def _draft_content(verdict: Verdict) -> tuple:
    return (verdict.draft_rating_id, verdict.draft_summary, verdict.draft_analysis, verdict.draft_evidence)


def review_submit(actor: AbstractBaseUser, claim_id: int, comment: str = "", *, data: dict | None = None) -> Claim:
    """The assignee submits the draft for approval; it becomes an immutable version.

    ``data`` is recorded on the audit row (e.g. which published verdict a reused one came from).
    """

    def apply(claim: Claim) -> dict:
        if _active_assignee_id(claim) != actor.pk:
            raise NotAllowed(_("Only the claim's assignee can submit its verdict."))
        verdict = Verdict.objects.filter(claim=claim).first()
        errors = {}
        if verdict is None or verdict.draft_rating_id is None:
            errors["rating"] = [_("Choose a rating before submitting.")]
        if verdict is None or not verdict.draft_summary:
            errors["summary"] = [_("Write a summary before submitting.")]
        if errors:
            raise InvalidReview(errors)
        draft_writers = DraftWriter.objects.filter(verdict=verdict).values_list("user_id", flat=True)
        version = _version_create(
            verdict,
            draft_writers,
            rating=verdict.draft_rating,
            summary=verdict.draft_summary,
            analysis=verdict.draft_analysis,
            evidence=verdict.draft_evidence,
            author=actor,
        )
        return {**(data or {}), "version": version.number}

    return _transition(actor, claim_id, Action.SUBMIT, comment, apply=apply)


def _pending_version(claim: Claim) -> VerdictVersion:
    version = _pending_submission(claim)
    if version is None:
        raise WorkflowError(_("There is no submitted verdict to decide on."))
    return version


def _unique_slug(claim: Claim) -> str:
    base = slugify(claim.text)[:80].strip("-") or "claim"
    slug = f"{base}-{claim.pk}"
    return slug


def review_approve(actor: AbstractBaseUser, claim_id: int, comment: str = "") -> Claim:
    """An editor who wrote or edited no part of the submitted version approves it: it is published."""

    def apply(claim: Claim) -> dict:
        version = _pending_version(claim)
        now = timezone.now()
        _approve(version, actor, now)
        verdict = version.verdict
        verdict.published_version = version
        verdict.published_at = verdict.published_at or now
        verdict.slug = verdict.slug or _unique_slug(claim)
        verdict.save(update_fields=["published_version", "published_at", "slug"])
        Assignment.objects.active().filter(claim=claim).update(released_at=now, release_reason="published")
        author = version.author
        transaction.on_commit(
            lambda: notify(
                author, NotificationKind.APPROVED, claim, gettext_lazy("Your verdict on claim %(claim)s was published.")
            )
        )
        return {"version": version.number, "slug": verdict.slug}

    return _transition(actor, claim_id, Action.APPROVE, comment, apply=apply, webhook_event="verdict.published")


def review_send_back(actor: AbstractBaseUser, claim_id: int, comment: str) -> Claim:
    """An editor returns the verdict to its author with a required comment."""

    def apply(claim: Claim) -> dict:
        version = _pending_version(claim)
        assignee_id = _active_assignee_id(claim)
        recipient = version.author if assignee_id is None else claim.assignments.active().get().assignee
        if assignee_id is None:
            _assign(claim, version.author, actor)
        transaction.on_commit(
            lambda: notify(
                recipient,
                NotificationKind.SENT_BACK,
                claim,
                gettext_lazy("Your verdict on claim %(claim)s was sent back: %(comment)s"),
                comment=comment,
            )
        )
        return {"version": version.number}

    return _transition(actor, claim_id, Action.SEND_BACK, comment, apply=apply)


def claim_dismiss(actor: AbstractBaseUser, claim_id: int, reason: str) -> Claim:
    def apply(claim: Claim) -> dict:
        Assignment.objects.active().filter(claim=claim).update(released_at=timezone.now(), release_reason="dismissed")
        return {}

    return _transition(actor, claim_id, Action.DISMISS, reason, apply=apply)


def claim_reopen(actor: AbstractBaseUser, claim_id: int, comment: str = "") -> Claim:
    return _transition(actor, claim_id, Action.REOPEN, comment)


def verdict_correct(actor: AbstractBaseUser, claim_id: int, data: dict[str, Any], note: str) -> Claim:
    """Correct a published verdict: a new version with a public correction note; the old one is kept.

    A change of the rating or the summary is only proposed: it stays unpublished until a second
    editor who did not write it approves it (``correction_approve``). A change of the analysis
    alone (a typo, a link) is published at once, recorded like any correction.
    """
    with transaction.atomic():
        claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None:
            raise Claim.DoesNotExist(_("No claim %(id)s.") % {"id": claim_id})
        _check(actor, claim, Action.CORRECT, note)
        verdict = Verdict.objects.select_related("published_version").filter(claim=claim).first()
        current = verdict.published_version if verdict else None
        if current is None:
            raise WorkflowError(_("There is no published verdict to correct."))
        rating = _rating(str(data["rating"])) if data.get("rating") else current.rating
        summary = (data.get("summary") or "").strip() or current.summary
        analysis = data["analysis"] if data.get("analysis") is not None else current.analysis
        proposal = rating.pk != current.rating_id or summary != current.summary
        action = Action.PROPOSE_CORRECTION if proposal else Action.CORRECT

        def apply(claim: Claim) -> dict:
            if _pending_correction(claim) is not None:
                raise WorkflowError("A proposed correction is waiting for approval; approve or reject it first.")
            now = timezone.now()
            version = _version_create(
                verdict,
                [actor.pk],
                kind=VersionKind.CORRECTION,
                rating=rating,
                summary=summary,
                analysis=analysis,
                evidence=current.evidence,
                author=actor,
                approved_at=None if proposal else now,
                note=note.strip(),
            )
            if not proposal:
                _correction_publish(verdict, version, now)
            return {"version": version.number, "pending": proposal}

        if proposal:
            return _transition(actor, claim_id, action, note, apply=apply)
        return _transition(actor, claim_id, action, note, apply=apply, public=True, webhook_event="verdict.corrected")


def _correction_publish(verdict: Verdict, version: VerdictVersion, now) -> None:
    verdict.published_version = version
    verdict.updated_at = now
    verdict.save(update_fields=["published_version", "updated_at"])


def correction_approve(actor: AbstractBaseUser, claim_id: int, comment: str = "") -> Claim:
    """A second editor, who wrote no part of it, publishes the proposed correction (the public note is its own)."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None:
            raise Claim.DoesNotExist(_("No claim %(id)s.") % {"id": claim_id})
        _check(actor, claim, Action.APPROVE_CORRECTION, comment)
        pending = _pending_correction(claim)
        if pending is None:
            raise WorkflowError(_("There is no proposed correction to approve."))

        def apply(claim: Claim) -> dict:
            now = timezone.now()
            _approve(pending, actor, now)
            _correction_publish(pending.verdict, pending, now)
            return {"version": pending.number, "proposed_by": pending.author_id, "comment": comment.strip()}

        # Recorded as the public correction, with the proposer's note.
        return _transition(
            actor,
            claim_id,
            Action.APPROVE_CORRECTION,
            pending.note,
            apply=apply,
            public=True,
            webhook_event="verdict.corrected",
            record_as=Action.CORRECT,
        )


def correction_reject(actor: AbstractBaseUser, claim_id: int, comment: str) -> Claim:
    """An editor turns down (or its proposer withdraws) the proposed correction: nothing public changes."""

    def apply(claim: Claim) -> dict:
        pending = _pending_correction(claim)
        if pending is None:
            raise WorkflowError(_("There is no proposed correction to reject."))
        pending.rejected_at = timezone.now()
        pending.save(update_fields=["rejected_at"])
        return {"version": pending.number}

    return _transition(actor, claim_id, Action.REJECT_CORRECTION, comment, apply=apply)


def verdict_retract(actor: AbstractBaseUser, claim_id: int, note: str) -> Claim:
    def apply(claim: Claim) -> dict:
        now = timezone.now()
        Verdict.objects.filter(claim=claim).update(retracted_at=now, updated_at=now)
        VerdictVersion.objects.filter(
            verdict__claim=claim, kind=VersionKind.CORRECTION, approved_at__isnull=True, rejected_at__isnull=True
        ).update(rejected_at=now)  # a correction proposed for a verdict now retracted is moot
        return {}

    return _transition(
        actor, claim_id, Action.RETRACT, note, apply=apply, public=True, webhook_event="verdict.retracted"
    )


# --- Tips ------------------------------------------------------------------------------------


def claim_merge(actor: AbstractBaseUser, claim_id: int, into_claim_id: int, comment: str = "") -> Claim:
    """Close a tip's claim by merging it into another: its tips and their contacts move to that claim.

    The merged claim is dismissed, not deleted; both claims' histories record the merge. The
    tipsters are told when the target is published (at once if it already is).
    """
    if actor is None or not actor.has_perm(TRANSITIONS[Action.MERGE].permission):
        raise NotAllowed("You may not merge claims.")
    if into_claim_id == claim_id:
        raise InvalidReview({"into": ["A claim cannot be merged into itself."]})
    with transaction.atomic():
        # Both rows locked in id order, so that two merges crossing each other cannot deadlock.
        locked = {
            c.pk: c for c in Claim.objects.select_for_update().filter(pk__in=[claim_id, into_claim_id]).order_by("pk")
        }
        if claim_id not in locked:
            raise Claim.DoesNotExist(f"No claim {claim_id}.")
        target = locked.get(into_claim_id)
        if target is None:
            raise InvalidReview({"into": [f"There is no claim {into_claim_id}."]})
        if target.status in (S.DISMISSED, S.RETRACTED):
            raise WorkflowError(
                f"Cannot merge into claim {into_claim_id}: it is {target.get_status_display().lower()}."
            )
        note = comment.strip() or f"Merged into claim {into_claim_id}."

        def apply(claim: Claim) -> dict:
            moved = tips_merge(claim.pk, into_claim_id)
            if not moved:
                raise WorkflowError(f"Claim {claim.pk} has no tips to merge; dismiss it instead.")
            Assignment.objects.active().filter(claim=claim).update(released_at=timezone.now(), release_reason="merged")
            WorkflowEvent.objects.create(
                claim=target,
                actor=actor,
                action=Action.MERGED_IN,
                from_state=target.status,
                to_state=target.status,
                comment=f"The tips of claim {claim.pk} were merged into this claim.",
                data={"merged_from": claim.pk, "tips": moved},
            )
            return {"merged_into": into_claim_id, "tips": moved}

        return _transition(actor, claim_id, Action.MERGE, note, apply=apply)
