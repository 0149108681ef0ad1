"""Staff web pages for articles: paste a URL or text, then accept or dismiss its candidate claims."""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from claims.articles.checkworthiness import CHECKWORTHY_THRESHOLD, REASON_LABELS
from claims.articles.services import (
    ARTICLE_MAX_TEXT_CHARS,
    CandidateDecided,
    article_submit,
    candidate_accept,
    candidate_dismiss,
)
from claims.choices import ArticleStatus
from claims.intake.validation import InvalidInput
from claims.intake.views import staff_member_required
from claims.models import Article, ArticleCandidate

# How often the page of an article still being read reloads itself, in seconds.
REFRESH_SECONDS = 2


# The scorer's reason codes (``claims.articles.checkworthiness``) in an editor's words; a bare "24 million euros" says
# what fired, not why it counts.
class ArticleForm(forms.Form):
    """What the page sends to ``article_submit``; the rules are the service's."""

    url = forms.CharField(label=gettext_lazy("Article URL"), required=False, max_length=2048)
    text = forms.CharField(
        label=gettext_lazy("…or paste the article text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=ARTICLE_MAX_TEXT_CHARS,
    )
    language = forms.CharField(label=gettext_lazy("Language (BCP 47, empty to detect)"), required=False, max_length=35)

    def to_input(self) -> dict:
        data = {"url": self.cleaned_data["url"].strip(), "language": self.cleaned_data["language"].strip()}
        if self.cleaned_data["text"].strip():
            data["text"] = self.cleaned_data["text"]
        return data

    def add_service_errors(self, fields: dict) -> None:
        for name, field_messages in fields.items():
            for message in field_messages:
                self.add_error(name if name in self.fields else None, str(message))


@staff_member_required
def article_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(Article.objects.order_by("-id"), 50).get_page(request.GET.get("page"))
    return render(request, "claims/article_list.html", {"page": page})


@staff_member_required
def article_new(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            article = article_submit(form.to_input(), user=request.user)
        except InvalidInput as exc:
            form.add_service_errors(exc.fields)
        else:
            messages.success(request, _("The article is being read; its candidate claims appear here when ready."))
            return redirect("claims:article", pk=article.pk)
    return render(request, "claims/article_new.html", {"form": form}, status=400 if form.errors else 200)


def _reason_label(code: str) -> str:
    return str(REASON_LABELS[code]) if code in REASON_LABELS else code


@staff_member_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    candidates = list(article.candidates.select_related("claim").order_by("position"))
    for candidate in candidates:
        candidate.reason_rows = [
            {**reason, "label": _reason_label(reason.get("code", ""))} for reason in candidate.reasons
        ]
    paragraphs = [list(sentences) for _, sentences in groupby(candidates, key=lambda c: c.paragraph)]
    ranked = sorted((c for c in candidates if c.score >= CHECKWORTHY_THRESHOLD), key=lambda c: (-c.score, c.position))
    busy = article.status in (ArticleStatus.PENDING, ArticleStatus.PROCESSING)
    context = {
        "article": article,
        "paragraphs": paragraphs,
        "ranked": ranked,
        "threshold": CHECKWORTHY_THRESHOLD,
        "refresh": REFRESH_SECONDS if busy else None,
    }
    return render(request, "claims/article_detail.html", context)


def _back(article_id: int, candidate_id: int) -> HttpResponse:
    return redirect(reverse("claims:article", args=[article_id]) + f"#c{candidate_id}")


@require_POST
@staff_member_required
def candidate_accept_view(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    text = request.POST.get("text")
    try:
        accepted = candidate_accept(pk, cid, text=text if text and text.strip() else None, user=request.user)
    except ArticleCandidate.DoesNotExist as exc:
        raise Http404(_("No such candidate.")) from exc
    except CandidateDecided as exc:
        messages.error(request, exc.message)
    except InvalidInput as exc:
        details = "; ".join(f"{name}: {' '.join(map(str, errs))}" for name, errs in exc.fields.items())
        messages.error(request, _("The claim was not saved (%(details)s).") % {"details": details})
    else:
        if accepted.created:
            messages.success(request, _("Claim %(id)s created from the sentence.") % {"id": accepted.claim.pk})
        else:
            messages.info(request, _("The sentence is claim %(id)s, already in the desk.") % {"id": accepted.claim.pk})
    return _back(pk, cid)


@require_POST
@staff_member_required
def candidate_dismiss_view(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    try:
        candidate_dismiss(pk, cid, user=request.user)
    except ArticleCandidate.DoesNotExist as exc:
        raise Http404(_("No such candidate.")) from exc
    except CandidateDecided as exc:
        messages.error(request, exc.message)
    return _back(pk, cid)
