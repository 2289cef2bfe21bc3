"""The admin's findings page: what the record derives, across every agency or for one subtree."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from agencies import permissions, selectors
from agencies.models import Agency


def findings_view(request):
    # The admin lets in any staff user; the findings are the record's, for those who may read it.
    if not permissions.can_view_record(request.user):
        raise PermissionDenied
    agency = None
    if slug := request.GET.get("agency"):
        agency = get_object_or_404(Agency, slug=slug)
    rates = selectors.comparable_rates(agency)
    context = {
        **admin.site.each_context(request),
        "title": f"Findings: {agency}" if agency else "Findings across the record",
        "agency": agency,
        "agencies": Agency.objects.only("slug", "name", "acronym").order_by("name"),
        "drift": selectors.mission_drift(agency),
        "contested": selectors.contested_figures(agency),
        # Pairs whose rates agree say nothing worth a researcher's attention.
        "rates": [pair for pair in rates if pair.differs],
        "open_requests": selectors.open_comment_requests(agency).select_related("agency", "document__outlet"),
    }
    return TemplateResponse(request, "admin/agencies/findings.html", context)
