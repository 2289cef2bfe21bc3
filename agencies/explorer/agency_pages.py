"""Agencies on screen: an index as a tree, and each agency with the facts its briefing holds."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from agencies.briefings.pages import audiences_for, briefing_request_and_redirect
from agencies.core.web import record_reader
from agencies.explorer.rows import agency_profile, agency_tree
from agencies.models import Agency


@require_safe
@record_reader
def agency_index(request):
    return render(request, "agencies/agency_index.html", {"nodes": agency_tree()})


@require_safe
@record_reader
def agency_detail(request, slug: str):
    agency = Agency.objects.filter(slug=slug).first()
    if agency is None:
        # /agencies/USPIS/: an acronym or a slug in capitals leads to the agency's own address.
        found = list(Agency.objects.filter(Q(slug=slug.lower()) | Q(acronym__iexact=slug))[:2])
        if len(found) == 1:
            return redirect("agencies:agency_detail", found[0].slug, permanent=True)
        raise Http404("No such agency.")
    return render(
        request,
        "agencies/agency_detail.html",
        {"profile": agency_profile(agency), "audiences": audiences_for(request.user)},
    )


@require_POST
@record_reader
def agency_brief(request, slug: str):
    """A briefing on the agency, sub-agencies included: the same scope as the admin's action."""
    agency = get_object_or_404(Agency, slug=slug)
    back = reverse("agencies:agency_detail", args=[agency.slug])
    return briefing_request_and_redirect(request, scope={"agencies": [agency.slug]}, back=back)
