"""Four eyes as a property of the text: nobody approves a version they wrote or edited any part of.

The sequence from the hardening report (an editor writes, is sent back, reassigns to a
fact-checker who submits her text unchanged, then approves it herself), corrections of the
rating or summary, reuse, the database triggers on both databases, and a stateful property
test over random sequences of every workflow action by two fact-checkers and two editors.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from claims.choices import ClaimStatus, MatchKind
from claims.models import Claim, ClaimMatch
from reviews import workflow
from reviews.matching import verdict_reuse
from reviews.models import Verdict, VerdictVersion, VersionWriter
from tests.factories import ClaimFactory
from tests.reviews.desk import claim_in_state, desk, review_client

REFUSED = (workflow.NotAllowed, workflow.WorkflowError, workflow.InvalidReview)


@pytest.mark.django_db
def test_an_editor_cannot_approve_her_own_text_submitted_by_someone_else():
    team = desk()
    claim = claim_in_state(ClaimStatus.NEW, team)
    editor, fact_checker = review_client(team.editor), review_client(team.assignee)
    base = f"/api/v1/claims/{claim.pk}"
    assert editor.post(f"{base}/assign/", {"user": team.editor.username}, format="json").status_code == 200
    draft = {"rating": "true", "summary": "Her own words.", "analysis": "Her analysis."}
    assert editor.put(f"{base}/verdict/", draft, format="json").status_code == 200
    assert editor.post(f"{base}/transition/", {"action": "submit"}, format="json").status_code == 200
    send_back = {"action": "send_back", "comment": "Needs a source."}
    assert review_client(team.chief).post(f"{base}/transition/", send_back, format="json").status_code == 200
    assert editor.post(f"{base}/assign/", {"user": team.assignee.username}, format="json").status_code == 200
    assert fact_checker.post(f"{base}/transition/", {"action": "submit"}, format="json").status_code == 200

    response = editor.post(f"{base}/transition/", {"action": "approve"}, format="json")
    assert response.status_code == 403, response.content
    assert "wrote or edited" in response.json()["error"]["message"]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    assert not Verdict.objects.filter(claim=claim, published_version__isnull=False).exists()
    assert "approve" not in workflow.allowed_actions(team.editor, claim)

    writers = set(VersionWriter.objects.filter(version__verdict__claim=claim).values_list("user__username", flat=True))
    assert {team.editor.username, team.assignee.username} <= writers
    assert (
        review_client(team.chief).post(f"{base}/transition/", {"action": "approve"}, format="json").status_code == 200
    )


@pytest.mark.django_db
def test_saving_an_unchanged_draft_does_not_make_a_writer():
    team = desk()
    claim = claim_in_state(ClaimStatus.ASSIGNED, team)
    workflow.review_submit(team.assignee, claim.pk)
    workflow.review_send_back(team.chief, claim.pk, "Check the year.")
    workflow.claim_assign(team.chief, claim.pk, team.editor)
    verdict = Verdict.objects.get(claim=claim)
    same = {"rating": "false", "summary": verdict.draft_summary, "analysis": verdict.draft_analysis}
    workflow.verdict_save_draft(team.editor, claim.pk, same)  # opened and saved, nothing changed
    workflow.claim_assign(team.chief, claim.pk, team.assignee)
    workflow.review_submit(team.assignee, claim.pk)
    workflow.review_approve(team.editor, claim.pk)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PUBLISHED


@pytest.mark.django_db
def test_a_new_rating_through_correct_is_not_public_until_a_second_editor_approves_it():
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    base = f"/api/v1/claims/{claim.pk}"
    response = review_client(team.editor).post(
        f"{base}/correct/", {"rating": "true", "note": "The agency revised its figure."}, format="json"
    )
    assert response.status_code == 202 and response.json()["pending"] is True
    verdict = Verdict.objects.select_related("published_version__rating").get(claim=claim)
    assert verdict.published_version.rating.slug == "false" and verdict.updated_at is None
    assert not claim.events.filter(public=True, action="correct").exists()

    # A second proposal waits for the first to be decided; the proposer cannot approve it.
    again = review_client(team.chief).post(f"{base}/correct/", {"summary": "Other.", "note": "n"}, format="json")
    assert again.status_code == 409
    own = review_client(team.editor).post(f"{base}/transition/", {"action": "approve_correction"}, format="json")
    assert own.status_code == 403

    approved = review_client(team.chief).post(f"{base}/transition/", {"action": "approve_correction"}, format="json")
    assert approved.status_code == 200, approved.content
    verdict.refresh_from_db()
    assert verdict.published_version.rating.slug == "true"
    assert verdict.published_version.approved_by == team.chief
    event = claim.events.filter(public=True, action="correct").get()
    assert event.comment == "The agency revised its figure." and event.actor == team.chief


@pytest.mark.django_db
def test_a_rejected_correction_changes_nothing_and_an_analysis_fix_is_published_at_once():
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    workflow.verdict_correct(team.editor, claim.pk, {"summary": "A different summary."}, "Reworded.")
    with pytest.raises(workflow.InvalidReview):
        workflow.correction_reject(team.chief, claim.pk, "")
    workflow.correction_reject(team.chief, claim.pk, "The summary was right.")
    verdict = Verdict.objects.get(claim=claim)
    assert verdict.published_version.number == 1
    assert VerdictVersion.objects.get(verdict=verdict, number=2).rejected_at is not None

    workflow.verdict_correct(team.editor, claim.pk, {"analysis": "*Because*, with a fixed typo."}, "Typo.")
    verdict.refresh_from_db()
    assert verdict.published_version.number == 3 and verdict.published_version.approved_by is None
    assert claim.events.filter(public=True, action="correct", comment="Typo.").exists()


@pytest.mark.django_db
def test_reuse_needs_a_match_or_a_recorded_confirmation_and_its_writers_cannot_approve():
    team = desk()
    source = claim_in_state(ClaimStatus.PUBLISHED, team)  # written by the assignee, approved by the chief
    unrelated = claim_in_state(ClaimStatus.NEW, team)
    workflow.claim_assign(team.chief, unrelated.pk, team.other)
    response = review_client(team.other).post(
        f"/api/v1/claims/{unrelated.pk}/reuse-verdict/", {"claim_id": source.pk}, format="json"
    )
    assert response.status_code == 409 and "not linked" in response.json()["error"]["message"]
    assert Claim.objects.get(pk=unrelated.pk).status == ClaimStatus.ASSIGNED

    response = review_client(team.other).post(
        f"/api/v1/claims/{unrelated.pk}/reuse-verdict/", {"claim_id": source.pk, "confirm": True}, format="json"
    )
    assert response.status_code == 200
    event = Claim.objects.get(pk=unrelated.pk).events.get(action="submit")
    assert event.data["confirmed_without_match"] is True and event.data["reused_claim"] == source.pk

    linked = claim_in_state(ClaimStatus.NEW, team)
    ClaimMatch.objects.create(claim=linked, matched=source, score=0.9, kind=MatchKind.DUPLICATE)
    workflow.claim_assign(team.chief, linked.pk, team.editor)
    verdict_reuse(team.editor, linked.pk, source.pk)
    event = Claim.objects.get(pk=linked.pk).events.get(action="submit")
    assert event.data["confirmed_without_match"] is False and event.data["match_kind"] == MatchKind.DUPLICATE
    with pytest.raises(workflow.NotAllowed):  # the editor reused it
        workflow.review_approve(team.editor, linked.pk)
    workflow.review_approve(team.chief, linked.pk)  # the chief only approved the original


@pytest.mark.django_db
def test_the_database_refuses_a_writer_as_approver_whatever_path_writes_the_rows():
    team = desk()
    claim = claim_in_state(ClaimStatus.ASSIGNED, team)
    workflow.claim_assign(team.chief, claim.pk, team.editor)
    workflow.verdict_save_draft(team.editor, claim.pk, {"summary": "Edited by the editor."})
    workflow.claim_assign(team.chief, claim.pk, team.assignee)
    workflow.review_submit(team.assignee, claim.pk)
    version = VerdictVersion.objects.get(verdict__claim=claim)
    with pytest.raises(IntegrityError, match="four-eyes"), transaction.atomic():
        VerdictVersion.objects.filter(pk=version.pk).update(approved_by=team.editor)
    VerdictVersion.objects.filter(pk=version.pk).update(approved_by=team.chief)
    with pytest.raises(IntegrityError, match="four-eyes"), transaction.atomic():
        VersionWriter.objects.create(version=version, user=team.chief)


SQLITE_BYPASS = """
from django.db import IntegrityError
from claims.models import Claim
from reviews.models import Verdict, VerdictVersion, VersionWriter, Rating
from reviews.people import user_add
from reviews.ratings import ratings_ensure
ratings_ensure()
writer, other = user_add("w", "editor", []), user_add("o", "editor", [])
claim = Claim.objects.create(text="A claim.", language="en")
verdict = Verdict.objects.create(claim=claim)
version = VerdictVersion.objects.create(verdict=verdict, number=1, rating=Rating.objects.first(), summary="s", author=other)
VersionWriter.objects.create(version=version, user=writer)
for attempt in (
    lambda: VerdictVersion.objects.filter(pk=version.pk).update(approved_by=writer),
    lambda: (VerdictVersion.objects.filter(pk=version.pk).update(approved_by=user_add("a", "editor", [])),
             VersionWriter.objects.create(version=version, user_id=VerdictVersion.objects.get().approved_by_id)),
):
    try:
        attempt()
        print("ALLOWED")
    except IntegrityError as exc:
        print("REFUSED", exc)
"""


def test_the_triggers_hold_on_sqlite_too(tmp_path: Path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'four-eyes.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "factcheck.settings",
        "VAR_DIR": str(tmp_path),
    }
    root = Path(django_settings.BASE_DIR)
    manage = [sys.executable, str(root / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=root, check=True, timeout=300)
    result = subprocess.run(
        [*manage, "shell", "-c", SQLITE_BYPASS], env=env, cwd=root, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(("REFUSED", "ALLOWED"))]
    assert len(lines) == 2 and all(line.startswith("REFUSED") and "four-eyes" in line for line in lines), lines


# --- Random sequences: the property ---------------------------------------------------------

PEOPLE = ["fc1", "fc2", "ed1", "ed2"]
EDITORS = ["ed1", "ed2"]


class FourEyes(RuleBasedStateMachine):
    """One claim per run, worked by two fact-checkers and two editors in any order.

    The machine keeps its own record of who changed the draft and who submitted, never reading
    the writers the code records: the invariant compares every approval in the database with it.
    """

    team: dict = {}
    source: Claim | None = None
    source_writers: set[int] = set()

    def __init__(self) -> None:
        super().__init__()
        self.claim = ClaimFactory()
        ClaimMatch.objects.create(claim=self.claim, matched=self.source, score=0.9, kind=MatchKind.DUPLICATE)
        self.draft: tuple = (None, "")  # (rating, summary) as the machine believes it to be
        self.draft_writers: set[int] = set()
        self.writers: dict[int, set[int]] = {}  # version number → who wrote or edited it
        self.published: tuple[int, tuple] | None = None  # (version number, (rating, summary))

    def person(self, name: str):
        return self.team[name]

    def attempt(self, service, *args, **kwargs) -> bool:
        try:
            with transaction.atomic():
                service(*args, **kwargs)
        except REFUSED:
            return False
        return True

    def versions(self) -> int:
        return VerdictVersion.objects.filter(verdict__claim=self.claim).count()

    def state(self) -> str:
        return Claim.objects.values_list("status", flat=True).get(pk=self.claim.pk)

    def assignee(self) -> str:
        """Who holds the claim, or anyone when nobody does (the service then refuses)."""
        assignment = self.claim.assignments.active().first()
        ids = {user.pk: name for name, user in self.team.items()}
        return ids[assignment.assignee_id] if assignment else PEOPLE[0]

    # Preconditions steer the sequences to actions the state allows: the property is about what
    # gets approved, and refused actions are tested on their own elsewhere.
    @precondition(lambda self: self.state() in (ClaimStatus.NEW, ClaimStatus.ASSIGNED))
    @rule(editor=st.sampled_from(EDITORS), assignee=st.sampled_from(PEOPLE))
    def assign(self, editor, assignee):
        self.attempt(workflow.claim_assign, self.person(editor), self.claim.pk, self.person(assignee))

    @precondition(lambda self: self.state() == ClaimStatus.ASSIGNED)
    @rule(rating=st.sampled_from(["true", "false"]), summary=st.sampled_from("ABC"))
    def write(self, rating, summary):
        who = self.assignee()
        data = {"rating": rating, "summary": f"Summary {summary}."}
        if self.attempt(workflow.verdict_save_draft, self.person(who), self.claim.pk, data):
            content = (rating, data["summary"])
            if content != self.draft:
                self.draft_writers.add(self.person(who).pk)
            self.draft = content

    @precondition(lambda self: self.state() == ClaimStatus.ASSIGNED)
    @rule()
    def submit(self):
        who = self.assignee()
        if self.attempt(workflow.review_submit, self.person(who), self.claim.pk):
            self.writers[self.versions()] = self.draft_writers | {self.person(who).pk}

    @precondition(lambda self: self.state() == ClaimStatus.ASSIGNED)
    @rule()
    def reuse(self):
        who = self.assignee()
        if self.attempt(verdict_reuse, self.person(who), self.claim.pk, self.source.pk):
            version = self.source.verdict.published_version
            content = (version.rating.slug, version.summary)
            if content != self.draft:
                self.draft_writers.add(self.person(who).pk)
            self.draft = content
            self.draft_writers |= self.source_writers
            self.writers[self.versions()] = self.draft_writers | {self.person(who).pk}

    @precondition(lambda self: self.state() == ClaimStatus.SUBMITTED)
    @rule(editor=st.sampled_from(EDITORS))
    def send_back(self, editor):
        self.attempt(workflow.review_send_back, self.person(editor), self.claim.pk, "Again, please.")

    @precondition(lambda self: self.state() == ClaimStatus.SUBMITTED)
    @rule(editor=st.sampled_from(EDITORS))
    def approve(self, editor):
        self.attempt(workflow.review_approve, self.person(editor), self.claim.pk)

    @precondition(lambda self: self.state() == ClaimStatus.PUBLISHED)
    @rule(editor=st.sampled_from(EDITORS), change=st.sampled_from(["rating", "summary", "analysis"]))
    def correct(self, editor, change):
        data = {"rating": "half-true", "summary": "Corrected summary.", "analysis": "Corrected analysis."}
        if self.attempt(workflow.verdict_correct, self.person(editor), self.claim.pk, {change: data[change]}, "Fix."):
            self.writers[self.versions()] = {self.person(editor).pk}

    @precondition(lambda self: self.state() == ClaimStatus.PUBLISHED)
    @rule(editor=st.sampled_from(EDITORS), approve=st.booleans())
    def decide_correction(self, editor, approve):
        if approve:
            self.attempt(workflow.correction_approve, self.person(editor), self.claim.pk)
        else:
            self.attempt(workflow.correction_reject, self.person(editor), self.claim.pk, "No.")

    @invariant()
    def nobody_approves_what_they_wrote(self):
        for version in VerdictVersion.objects.filter(verdict__claim=self.claim, approved_by__isnull=False):
            assert version.approved_by_id not in self.writers[version.number], (version.number, self.writers)

    @invariant()
    def a_public_rating_or_summary_always_had_a_second_reader(self):
        verdict = Verdict.objects.filter(claim=self.claim).select_related("published_version__rating").first()
        if verdict is None or verdict.published_version is None:
            return
        current = verdict.published_version
        content = (current.rating.slug, current.summary)
        if self.published is None or self.published[0] != current.number:
            if self.published is None or content != self.published[1]:
                assert current.approved_by_id is not None, f"version {current.number} went public unapproved"
            self.published = (current.number, content)


@pytest.mark.django_db
def test_no_published_version_is_ever_approved_by_one_of_its_writers():
    team = desk()
    FourEyes.team = {"fc1": team.assignee, "fc2": team.other, "ed1": team.editor, "ed2": team.chief}
    FourEyes.source = claim_in_state(ClaimStatus.PUBLISHED, team)
    FourEyes.source_writers = {team.assignee.pk}
    run_state_machine_as_test(
        FourEyes,
        settings=settings(
            max_examples=int(os.environ.get("FOUR_EYES_EXAMPLES", "60")),
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
