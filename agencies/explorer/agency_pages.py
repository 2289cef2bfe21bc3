"""Agencies on screen: an index as a tree, and each agency with the facts its briefing holds.

An agency's page shows the first page of each list that grows with the record (its timeline, its
figure pairs, its comment requests); "show more" leads to the next pages of that list alone."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from agencies.briefings.pages import audiences_for, briefing_request_and_redirect
from agencies.core.web import page_number, record_reader
from agencies.explorer.rows import (
    agency_figures_page,
    agency_profile,
    agency_requests_page,
    agency_tree,
    contested_svg,
    timeline_section,
)
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


def _more(request, agency: Agency, section: str, context: dict):
    return render(request, "agencies/agency_more.html", {"agency": agency, "section": section, **context})


@require_safe
@record_reader
def agency_timeline(request, slug: str):
    agency = get_object_or_404(Agency, slug=slug)
    return _more(
        request, agency, "timeline", {"timeline": timeline_section(agency, page=page_number(request))}
    )


@require_safe
@record_reader
def agency_figures(request, slug: str):
    agency = get_object_or_404(Agency, slug=slug)
    page = agency_figures_page(agency, page=page_number(request))
    # The include reads the pairs as an agency's facts: contested, rates and their page.
    facts = {"figures": page, "contested": page.contested, "rates": page.rates}
    return _more(request, agency, "figures", {"facts": facts, "chart": contested_svg(page.contested)})


@require_safe
@record_reader
def agency_requests(request, slug: str):
    agency = get_object_or_404(Agency, slug=slug)
    return _more(
        request, agency, "requests", {"facts": agency_requests_page(agency, page=page_number(request))}
    )


@require_POST
@record_reader
def agency_brief(request, slug: str):
    """A briefing on the agency, sub-agencies included: the same scope as the admin's action."""
    agency = get_object_or_404(Agency, slug=slug)
    back = reverse("agencies:agency_detail", args=[agency.slug])
    return briefing_request_and_redirect(request, scope={"agencies": [agency.slug]}, back=back)
