"""Asking for a briefing from the researchers' pages, and following it until its PDF is ready."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from agencies.briefings.selectors import briefing_visible_to
from agencies.briefings.services import QUEUE_UNREACHABLE, briefing_request
from agencies.core import permissions
from agencies.core.filters import ClaimFilter
from agencies.core.web import record_reader
from agencies.models import BriefingAudience, BriefingStatus, Claim

IN_FLIGHT = (BriefingStatus.QUEUED, BriefingStatus.RUNNING)
REFRESH_SECONDS = 3


AUDIENCE_LABELS = {BriefingAudience.PUBLIC: "Public", BriefingAudience.INTERNAL: "Internal"}


def audiences_for(user) -> list[tuple[str, str]]:
    """The audiences this user may ask a briefing for (none when they may not ask at all)."""
    return [
        (audience.value, AUDIENCE_LABELS[audience])
        for audience in BriefingAudience
        if permissions.can_request_briefing(user, audience.value)
    ]


def briefing_request_and_redirect(request, *, scope: dict, back: str):
    """Ask for a briefing of `scope` for the audience the form chose; say what happened; go to it.

    `back` is where to return when no briefing could be asked for.
    """
    audience = request.POST.get("audience") or BriefingAudience.PUBLIC
    if audience not in BriefingAudience.values:
        messages.error(request, "No briefing: choose a public or an internal one.")
        return HttpResponseRedirect(back)
    if not permissions.can_request_briefing(request.user, audience):
        raise PermissionDenied("You may not ask for this briefing.")
    asked_at = timezone.now()
    try:
        briefing, published = briefing_request(actor=request.user, scope=scope, audience=audience)
    except (ValidationError, PermissionDenied) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"No briefing: {text}")
        return HttpResponseRedirect(back)
    name = f"Briefing #{briefing.pk}"
    if briefing.status == BriefingStatus.SUCCEEDED:
        if briefing.requested_at < asked_at:
            messages.success(request, f"{name} is ready: it was built earlier from the same data.")
        else:
            messages.success(request, f"{name} is ready.")
    elif briefing.status == BriefingStatus.FAILED:
        messages.error(request, f"{name} failed: {briefing.error}")
    elif not published:
        messages.warning(request, f"{name} {QUEUE_UNREACHABLE}")
    else:
        messages.success(request, f"{name} queued: this page follows it until its PDF is ready.")
    return HttpResponseRedirect(reverse("agencies:briefing_status", args=[briefing.pk]))


def _scope_text(scope: dict) -> str:
    """What a briefing covers, as a researcher reads it."""
    if "filter" in scope:
        claim_filter = ClaimFilter(QueryDict(scope["filter"]), queryset=Claim.objects.all())
        return claim_filter.describe() if claim_filter.is_valid() else f"Claims: {scope['filter']}"
    if "agencies" in scope:
        return "Agencies: " + ", ".join(scope["agencies"]) + ", sub-agencies included"
    return ""


@require_safe
@record_reader
def briefing_status(request, pk: int):
    # 404, not 403, for a briefing this user may not see: it does not confirm that it exists.
    briefing = briefing_visible_to(user=request.user).filter(pk=pk).first()
    if briefing is None or not permissions.can_download_briefing(request.user, briefing.audience):
        raise Http404("No such briefing.")
    in_flight = briefing.status in IN_FLIGHT
    return render(
        request,
        "agencies/briefing_status.html",
        {
            "briefing": briefing,
            "in_flight": in_flight,
            "refresh_seconds": REFRESH_SECONDS if in_flight else None,
            "downloadable": briefing.status == BriefingStatus.SUCCEEDED and bool(briefing.file),
            "scope": _scope_text(briefing.scope),
        },
    )
