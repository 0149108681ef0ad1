"""Review desk web pages. Views parse input, call one workflow service and render; rules live in services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from claims.choices import ClaimStatus, FetchStatus
from claims.models import Citation, Claim, ClaimMatch, Source
from claims.selectors import language_filter
from claims.sources.snapshots import snapshot_response
from claims.tips.selectors import tips_of_claim
from reviews import workflow
from reviews.choices import Action, Role
from reviews.forms import AssignForm, CommentForm, CorrectionForm, QueueFilterForm, VerdictForm, desk_workers
from reviews.markdown import render_markdown
from reviews.matching import claim_matches, verdict_reuse
from reviews.models import Assignment, Notification, Verdict, VerdictVersion, WorkflowEvent
from reviews.notifications import notifications_mark_read
from reviews.people import role_of

WORK = workflow.WORK
EDIT = workflow.EDIT
QUEUE_PAGE_SIZE = 50


def desk_required(perm: str):
    """Logged in (else the login page) and holding ``perm`` (else 403), checked on the server."""

    def decorator(view):
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    context.setdefault("unread_count", Notification.objects.filter(user=request.user, read_at__isnull=True).count())
    return render(request, template, context, status=status)


def home(request):
    """The site root: desk users to the queue, staff to the claims list, everyone else to log in."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if user.has_perm(WORK):
        return redirect("reviews:queue")
    if user.is_staff:
        return redirect("claims:list")
    raise PermissionDenied(_("Your account has no role on the desk yet; ask an admin."))


# --- Queue and my claims ------------------------------------------------------------------


def _citations_prefetch() -> Prefetch:
    return Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("id"))


@desk_required(WORK)
def queue(request):
    filters = QueueFilterForm(request.GET or None)
    claims = Claim.objects.filter(status=ClaimStatus.NEW)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["language"]:
            claims = claims.filter(language_filter([data["language"]]))
        if data["tag"]:
            claims = claims.filter(tags=data["tag"])
        if data["channel"]:
            claims = claims.filter(channel=data["channel"])
        if data["fetched"]:
            fetched = Citation.objects.filter(claim=OuterRef("pk"), source__fetch_status=FetchStatus.FETCHED)
            claims = claims.filter(Exists(fetched))
    matches = ClaimMatch.objects.select_related("matched__verdict__published_version__rating").order_by("-score")
    claims = claims.order_by("-priority", "created_at", "id").prefetch_related(
        "tags", _citations_prefetch(), Prefetch("matches", queryset=matches)
    )
    page = Paginator(claims, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "reviews/queue.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "languages": workflow.languages_of(request.user),
        },
    )


@require_POST
@desk_required(WORK)
def take_next(request):
    try:
        claim = workflow.claim_take_next(request.user)
    except (workflow.NotAllowed, workflow.WorkflowError) as exc:
        messages.error(request, str(exc))
        return redirect("reviews:queue")
    if claim is None:
        languages = workflow.languages_of(request.user)
        if languages:
            empty = _("The queue is empty in your languages (%(languages)s): nothing to take right now.")
            messages.info(request, empty % {"languages": ", ".join(languages)})
        else:
            messages.info(request, _("The queue is empty: nothing to take right now."))
        return redirect("reviews:queue")
    messages.success(request, _("Claim %(id)s is yours now.") % {"id": claim.pk})
    return redirect("reviews:claim", pk=claim.pk)


@desk_required(WORK)
def my_claims(request):
    assignments = (
        Assignment.objects.active()
        .filter(assignee=request.user)
        .select_related("claim")
        .prefetch_related(Prefetch("claim__citations", queryset=Citation.objects.select_related("source")))
        .order_by("due_at")
    )
    return _render(request, "reviews/my_claims.html", {"assignments": assignments, "now": timezone.now()})


# --- The claim workspace -------------------------------------------------------------------

COMMENT_ACTIONS = {
    Action.APPROVE: workflow.review_approve,
    Action.SEND_BACK: workflow.review_send_back,
    Action.DISMISS: workflow.claim_dismiss,
    Action.REOPEN: workflow.claim_reopen,
    Action.RETRACT: workflow.verdict_retract,
    Action.APPROVE_CORRECTION: workflow.correction_approve,
    Action.REJECT_CORRECTION: workflow.correction_reject,
}
ACTION_LABELS = {
    Action.SUBMIT: gettext_lazy("Submit for approval"),
    Action.APPROVE: gettext_lazy("Approve and publish"),
    Action.SEND_BACK: gettext_lazy("Send back"),
    Action.DISMISS: gettext_lazy("Dismiss"),
    Action.REOPEN: gettext_lazy("Reopen"),
    Action.RETRACT: gettext_lazy("Retract"),
    Action.CORRECT: gettext_lazy("Publish correction"),
    Action.APPROVE_CORRECTION: gettext_lazy("Approve and publish the correction"),
    Action.REJECT_CORRECTION: gettext_lazy("Reject the correction"),
}
SUCCESS = {
    "save": gettext_lazy("Draft saved."),
    Action.SUBMIT: gettext_lazy("Verdict submitted for approval."),
    Action.APPROVE: gettext_lazy("Verdict approved and published."),
    Action.SEND_BACK: gettext_lazy("Verdict sent back to its author."),
    Action.DISMISS: gettext_lazy("Claim dismissed."),
    Action.REOPEN: gettext_lazy("Claim reopened: it is back in the queue."),
    Action.RETRACT: gettext_lazy("Verdict retracted."),
    Action.CORRECT: gettext_lazy("Correction published."),
    Action.PROPOSE_CORRECTION: gettext_lazy("Correction proposed: it is published once another editor approves it."),
    Action.APPROVE_CORRECTION: gettext_lazy("Correction approved and published."),
    Action.REJECT_CORRECTION: gettext_lazy("Proposed correction rejected; the published verdict is unchanged."),
    "reuse": gettext_lazy("The published verdict was reused and submitted for approval."),
    Action.MERGE: gettext_lazy("The tips were merged into the other claim; this claim is closed."),
}


def _state_label(state: str) -> str:
    """A workflow state (as recorded in the history) in the reader's words."""
    try:
        return ClaimStatus(state).label
    except ValueError:
        return state


def _claim_for_workspace(pk: int) -> Claim:
    citations = Citation.objects.select_related("source").annotate(snapshot_count=Count("source__snapshots"))
    claims = Claim.objects.select_related("submitted_by", "submitted_by_key").prefetch_related(
        "tags", Prefetch("citations", queryset=citations.order_by("id"))
    )
    return get_object_or_404(claims, pk=pk)


def _workspace_context(request, claim: Claim, **forms) -> dict:
    verdict = Verdict.objects.select_related("draft_rating", "published_version__rating").filter(claim=claim).first()
    versions = (
        list(VerdictVersion.objects.filter(verdict=verdict).select_related("rating", "author", "approved_by"))
        if verdict
        else []
    )
    assignment = claim.assignments.active().select_related("assignee").first()
    is_assignee = assignment is not None and assignment.assignee_id == request.user.pk
    can_edit = is_assignee and claim.status == ClaimStatus.ASSIGNED
    allowed = workflow.allowed_actions(request.user, claim)
    for version in versions:
        version.analysis_html = render_markdown(version.analysis)
    events = list(WorkflowEvent.objects.filter(claim=claim).select_related("actor"))
    for event in events:
        event.from_label, event.to_label = _state_label(event.from_state), _state_label(event.to_state)
    tips = list(tips_of_claim(claim.pk))
    return {
        "claim": claim,
        "verdict": verdict,
        "versions": versions,
        "assignment": assignment,
        "is_assignee": is_assignee,
        "can_edit": can_edit,
        "verdict_form": forms.get("verdict_form") or (VerdictForm.from_verdict(verdict) if can_edit else None),
        "preview_html": render_markdown(verdict.draft_analysis) if verdict and can_edit else "",
        "comment_form": forms.get("comment_form") or CommentForm(),
        "correction_form": forms.get("correction_form")
        or (CorrectionForm.from_version(verdict.published_version) if Action.CORRECT in allowed else None),
        "comment_actions": [(a, ACTION_LABELS[a]) for a in allowed if a in COMMENT_ACTIONS],
        "can_submit": Action.SUBMIT in allowed and can_edit,
        "can_correct": Action.CORRECT in allowed and verdict is not None and verdict.published_version_id,
        "events": events,
        "matches": claim_matches(claim),
        "tips": tips,
        # Tipsters' contacts are shown to staff only, never to a desk user without staff status.
        "show_contacts": request.user.is_staff,
        "can_merge": bool(tips)
        and request.user.has_perm(EDIT)
        and claim.status in workflow.TRANSITIONS[Action.MERGE].sources,
    }


def _service_error(request, exc: Exception, form=None) -> int:
    """Report a workflow error as a message (and field errors); return the HTTP status to answer with."""
    if isinstance(exc, workflow.InvalidReview):
        if form is not None:
            form.add_service_errors(exc.fields)
        problems = " ".join(message for field_messages in exc.fields.values() for message in field_messages)
        messages.error(request, problems or _("Please correct the highlighted fields."))
        return 400
    messages.error(request, str(exc))
    return 403 if isinstance(exc, workflow.NotAllowed) else 409


@desk_required(WORK)
def claim_workspace(request, pk: int):
    claim = _claim_for_workspace(pk)
    if request.method != "POST":
        return _render(request, "reviews/workspace.html", _workspace_context(request, claim))

    action = request.POST.get("action", "")
    forms: dict = {}
    try:
        if action in ("save", Action.SUBMIT):
            form = forms["verdict_form"] = VerdictForm(request.POST)
            if not form.is_valid():
                raise workflow.InvalidReview({})
            workflow.verdict_save_draft(request.user, claim.pk, form.to_draft())
            if action == Action.SUBMIT:
                comment_form = forms["comment_form"] = CommentForm(request.POST)
                comment_form.is_valid()
                workflow.review_submit(request.user, claim.pk, comment_form.cleaned_data.get("comment", ""))
        elif action == "reuse":
            source_id = request.POST.get("reuse_claim_id", "")
            if not source_id.isdigit():
                raise workflow.InvalidReview({"reuse_claim_id": [_("Choose the claim whose verdict to reuse.")]})
            verdict_reuse(request.user, claim.pk, int(source_id))
        elif action == Action.MERGE:
            into = request.POST.get("into", "").strip().lstrip("#")
            if not into.isdigit():
                raise workflow.InvalidReview({"into": [_("Give the number of the claim to merge into.")]})
            workflow.claim_merge(request.user, claim.pk, int(into), request.POST.get("comment", ""))
        elif action in COMMENT_ACTIONS:
            form = forms["comment_form"] = CommentForm(request.POST)
            form.is_valid()
            COMMENT_ACTIONS[action](request.user, claim.pk, form.cleaned_data.get("comment", ""))
        elif action == Action.CORRECT:
            form = forms["correction_form"] = CorrectionForm(request.POST)
            if not form.is_valid():
                raise workflow.InvalidReview({})
            data = {key: form.cleaned_data[key] for key in ("rating", "summary", "analysis")}
            corrected = workflow.verdict_correct(request.user, claim.pk, data, form.cleaned_data["note"])
            if corrected.events.order_by("-id").values_list("action", flat=True).first() != Action.CORRECT:
                action = Action.PROPOSE_CORRECTION
        else:
            messages.error(request, _("Unknown action."))
            return _render(request, "reviews/workspace.html", _workspace_context(request, claim), status=400)
    except (workflow.InvalidReview, workflow.NotAllowed, workflow.WorkflowError) as exc:
        if action == Action.CORRECT and isinstance(exc, workflow.InvalidReview) and "comment" in exc.fields:
            exc.fields["note"] = exc.fields.pop("comment")
        target = forms.get("verdict_form") or forms.get("correction_form") or forms.get("comment_form")
        status = _service_error(request, exc, target)
        claim = _claim_for_workspace(pk)
        return _render(request, "reviews/workspace.html", _workspace_context(request, claim, **forms), status=status)
    messages.success(request, SUCCESS[action])
    if action == Action.MERGE:
        return redirect("reviews:claim", pk=int(request.POST["into"].strip().lstrip("#")))
    next_page = request.POST.get("next")
    if next_page == "approvals":
        return redirect("reviews:approvals")
    return redirect("reviews:claim", pk=claim.pk)


@require_POST
@desk_required(WORK)
def markdown_preview(request):
    """htmx: the analysis as the public page will show it."""
    text = request.POST.get("analysis", "")[:100_000]
    html = render_markdown(text) or format_html('<p class="muted">{}</p>', _("Nothing to preview yet."))
    return HttpResponse(html)


@require_POST
@desk_required(WORK)
def autosave(request, pk: int):
    """htmx: save the draft as the fact-checker types; answers a short status line."""
    form = VerdictForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        return _not_saved(errors)
    try:
        verdict = workflow.verdict_save_draft(request.user, pk, form.to_draft())
    except workflow.InvalidReview as exc:
        errors = "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in exc.fields.items())
        return _not_saved(errors)
    except (workflow.NotAllowed, workflow.WorkflowError, Claim.DoesNotExist) as exc:
        return _not_saved(str(exc))
    when = time_format(timezone.localtime(verdict.draft_saved_at), "TIME_FORMAT")
    return HttpResponse(format_html('<span class="ok">{}</span>', _("Draft saved at %(time)s") % {"time": when}))


def _not_saved(errors: str) -> HttpResponse:
    return HttpResponse(format_html('<span class="error">{}</span>', _("Not saved: %(errors)s") % {"errors": errors}))


@desk_required(WORK)
def source_snapshot(request, pk: int):
    """The stored copy of a source for desk users, with the same sandbox as the API's."""
    source = get_object_or_404(Source, pk=pk)
    snapshot = source.snapshots.first()
    if snapshot is None:
        raise Http404(_("This source has no stored copy yet."))
    view = request.GET.get("view", "html")
    return snapshot_response(snapshot, view if view in {"html", "text", "raw"} else "html")


# --- Editors -------------------------------------------------------------------------------


@desk_required(EDIT)
def approvals(request):
    submitted = (
        Claim.objects.filter(status=ClaimStatus.SUBMITTED)
        .select_related("verdict")
        .prefetch_related(
            Prefetch(
                "verdict__versions",
                queryset=VerdictVersion.objects.select_related("rating", "author").order_by("-number"),
            )
        )
        .order_by("updated_at")
    )
    items = []
    for claim in submitted:
        versions = list(claim.verdict.versions.all()) if hasattr(claim, "verdict") else []
        if not versions:
            continue
        current, previous = versions[0], (versions[1] if len(versions) > 1 else None)
        current.analysis_html = render_markdown(current.analysis)
        if previous is not None:
            previous.analysis_html = render_markdown(previous.analysis)
        items.append(
            {"claim": claim, "current": current, "previous": previous, "own": current.author_id == request.user.pk}
        )
    return _render(request, "reviews/approvals.html", {"items": items})


ASSIGNABLE = (ClaimStatus.NEW, ClaimStatus.ASSIGNED)
ASSIGN_LIMIT = 200


@desk_required(EDIT)
def assign(request):
    claims = list(
        Claim.objects.filter(status__in=ASSIGNABLE)
        .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.active().select_related("assignee")))
        .order_by("-priority", "created_at", "id")[:ASSIGN_LIMIT]
    )
    form = AssignForm(request.POST or None, claim_ids=[claim.pk for claim in claims])
    status = 200
    if request.method == "POST":
        if form.is_valid():
            assignee = form.cleaned_data["assignee"]
            try:
                done = workflow.claims_assign(request.user, form.cleaned_data["claims"], assignee)
            except (workflow.InvalidReview, workflow.NotAllowed, workflow.WorkflowError) as exc:
                status = _service_error(request, exc, form)
            else:
                assigned = ngettext(
                    "Assigned %(count)d claim to %(person)s.", "Assigned %(count)d claims to %(person)s.", len(done)
                )
                messages.success(request, assigned % {"count": len(done), "person": assignee.get_username()})
                return redirect("reviews:assign")
        else:
            status = 400
    selected = {str(pk) for pk in (form["claims"].value() or [])}
    return _render(request, "reviews/assign.html", {"claims": claims, "form": form, "selected": selected}, status)


@desk_required(EDIT)
def people(request):
    members = (
        desk_workers()
        .prefetch_related("groups")
        .select_related("reviewer")
        .annotate(active_count=Count("assignments", filter=Q(assignments__released_at__isnull=True), distinct=True))
        .order_by("username")
    )
    rows = []
    for user in members:
        role = role_of(user)
        languages = getattr(getattr(user, "reviewer", None), "languages", [])
        rows.append(
            {"user": user, "role": role, "role_label": Role(role).label if role else "", "languages": languages}
        )
    return _render(request, "reviews/people.html", {"rows": rows})


# --- Notifications -----------------------------------------------------------------------


@login_required
def notifications(request):
    if request.method == "POST":
        note_id = request.POST.get("id")
        ids = [int(note_id)] if note_id and note_id.isdigit() else None
        count = notifications_mark_read(request.user, ids)
        marked = ngettext("Marked %(count)d notification read.", "Marked %(count)d notifications read.", count)
        messages.success(request, marked % {"count": count})
        return redirect("reviews:notifications")
    notes = Notification.objects.filter(user=request.user).select_related("claim")[:200]
    return _render(request, "reviews/notifications.html", {"notes": notes})
