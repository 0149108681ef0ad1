"""Staff web pages of the claims app: the intake form and claim pages."""

from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from claims.choices import Channel
from claims.intake.forms import ClaimForm
from claims.intake.services import claim_submit
from claims.intake.validation import InvalidInput
from claims.models import Claim

staff_member_required = user_passes_test(lambda user: user.is_active and user.is_staff)


@staff_member_required
def claim_list(request):
    page = Paginator(Claim.objects.with_sources().order_by("-id"), 50).get_page(request.GET.get("page"))
    return render(request, "claims/claim_list.html", {"page": page})


@staff_member_required
def claim_new(request):
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = claim_submit(form.to_intake(), channel=Channel.FORM, user=request.user)
        except InvalidInput as exc:
            form.add_service_errors(exc.fields)
        else:
            if result.duplicate:
                messages.info(request, _("This claim was already in the desk; any new sources were added to it."))
            else:
                messages.success(request, _("Claim saved. Its sources are being fetched."))
            return redirect("claims:detail", pk=result.claim.pk)
    return render(request, "claims/claim_form.html", {"form": form}, status=400 if form.errors else 200)


@staff_member_required
def claim_detail(request, pk: int):
    claim = get_object_or_404(Claim.objects.with_sources(), pk=pk)
    return render(request, "claims/claim_detail.html", {"claim": claim})
