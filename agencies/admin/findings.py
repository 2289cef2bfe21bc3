"""The admin's findings page: what the record derives, across every agency or for one subtree.

Its lists that grow with the record come a page at a time (?figures=N, ?requests=N), as on an
agency's page: the same scope and the same bounded reads (core/scope.py: scope_findings)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from agencies.core import permissions
from agencies.core.scope import agency_scope, scope_findings
from agencies.core.web import page_number
from agencies.models import Agency


def findings_view(request):
    # The admin lets in any staff user; the findings are the record's, for those who may read it.
    if not permissions.can_view_record(request.user):
        raise PermissionDenied
    agency = None
    if slug := request.GET.get("agency"):
        agency = get_object_or_404(Agency, slug=slug)
    # The same facts as the agency's page and briefing: one definition of its scope.
    facts = scope_findings(
        agency_scope(agency) if agency else None,
        figures_page=page_number(request, "figures"),
        requests_page=page_number(request, "requests"),
    )
    context = {
        **admin.site.each_context(request),
        "title": f"Findings: {agency}" if agency else "Findings across the record",
        "agency": agency,
        "agencies": Agency.objects.only("slug", "name", "acronym").order_by("name"),
        "facts": facts,
        "connected": [
            (other, facts.scope.connected[other.pk])
            for other in Agency.objects.filter(pk__in=list(facts.scope.connected)).order_by("name")
        ]
        if facts.scope
        else [],
        "drift": facts.drift,
        "contested": facts.contested,
        "rates": facts.rates,
        "comment_requests": facts.comment_requests,
    }
    return TemplateResponse(request, "admin/agencies/findings.html", context)
