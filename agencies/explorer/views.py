"""The claims explorer: one ClaimFilter for the page, its CSV and JSON exports and "Brief this selection"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from agencies.briefings.pages import audiences_for, briefing_request_and_redirect
from agencies.core.filters import DEFAULT_SORT, SORTS, ClaimFilter
from agencies.core.pagination import EstimatedCountPaginator
from agencies.core.web import record_reader
from agencies.explorer.rows import (
    agency_tree,
    claim_rows,
    csv_stream,
    explorer_claims,
    export_records,
    json_stream,
)
from agencies.models import Claim, ClaimKind, ClaimStatus, Outlet, SourceKind

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
# Column -> the sort its heading asks for first (newest, most origins: what a researcher wants first).
SORTABLE = {"id": "id", "made": "-made", "status": "status", "kind": "kind", "origins": "-origins"}


def _page_size(value) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def _with(query: str, **extra) -> str:
    """`query` plus extra parameters (None drops one), as '?...'."""
    pairs = QueryDict(query, mutable=True)
    for name, value in extra.items():
        pairs.pop(name, None)
        if value is not None:
            pairs[name] = value
    encoded = pairs.urlencode()
    return f"?{encoded}" if encoded else "?"


def _sort_headings(claim_filter: ClaimFilter, page_size: int) -> dict:
    current = (
        claim_filter.form.cleaned_data.get("sort") if claim_filter.is_valid() else None
    ) or DEFAULT_SORT
    selection = claim_filter.querystring()
    size = None if page_size == DEFAULT_PAGE_SIZE else str(page_size)
    headings = {}
    for column, first in SORTABLE.items():
        name = first.lstrip("-")
        if current.lstrip("-") == name:
            direction = "desc" if current.startswith("-") else "asc"
            wanted = name if current.startswith("-") else f"-{name}"
        else:
            direction, wanted = None, first
        headings[column] = {
            "url": _with(selection, sort=None if wanted == DEFAULT_SORT else wanted, per_page=size),
            "direction": direction,
        }
    return headings


def _export_response(claim_filter: ClaimFilter, fmt: str):
    stamp = timezone.now()
    name = f"oversight-claims-{stamp:%Y%m%d-%H%M%S}.{fmt}"
    records = export_records(claim_filter.qs)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_stream(records), content_type="text/csv; charset=utf-8")
    else:
        header = {
            "format": "oversight-claims/1",
            "exported_at": stamp.isoformat(timespec="seconds"),
            "filter": claim_filter.querystring(),
            "selection": claim_filter.describe(),
        }
        response = StreamingHttpResponse(
            json_stream(records, header=header), content_type="application/json; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _page_links(page, query: str, size: str | None) -> dict:
    def url(number: int) -> str:
        return _with(query, per_page=size, page=None if number == 1 else str(number))

    links = {}
    if page.has_previous():
        links["first"], links["previous"] = url(1), url(page.previous_page_number())
    if page.has_next():
        links["next"], links["last"] = url(page.next_page_number()), url(page.paginator.num_pages)
    return links


def _choices(choices, selected: list[str]) -> list[dict]:
    return [{"value": value, "label": label, "checked": value in selected} for value, label in choices]


@require_safe
@record_reader
def claims_explorer(request):
    claim_filter = ClaimFilter(request.GET, queryset=Claim.objects.all())
    valid = claim_filter.is_valid()
    fmt = request.GET.get("format", "")
    if fmt:
        if fmt not in ("csv", "json"):
            return HttpResponse("Unknown format: use csv or json.", status=400, content_type="text/plain")
        if not valid:
            problems = "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in claim_filter.errors.items()
            )
            return HttpResponse(f"Invalid filter: {problems}", status=400, content_type="text/plain")
        return _export_response(claim_filter, fmt)

    page_size = _page_size(request.GET.get("per_page"))
    page = rows = None
    if valid:
        paginator = EstimatedCountPaginator(explorer_claims(claim_filter.qs), page_size)
        page = paginator.get_page(request.GET.get("page"))
        rows = claim_rows(page.object_list)
    selection = claim_filter.querystring()
    current = claim_filter.querystring(with_sort=True)
    size = None if page_size == DEFAULT_PAGE_SIZE else str(page_size)
    selected = {
        name: request.GET.getlist(name) for name in ("agency", "outlet", "status", "kind", "origin_kind")
    }
    context = {
        "filter": claim_filter,
        "valid": valid,
        "page": page,
        "rows": rows,
        "active": claim_filter.active() if valid else [],
        "summary": claim_filter.summary() if valid else "",
        "selection": selection,
        "pages": _page_links(page, current, size) if page is not None else {},
        "csv_url": _with(current, format="csv"),
        "json_url": _with(current, format="json"),
        "headings": _sort_headings(claim_filter, page_size),
        "page_size": page_size,
        "page_sizes": PAGE_SIZES,
        "sorts": [(key, label) for key, (label, _) in SORTS.items()],
        "current_sort": (claim_filter.form.cleaned_data.get("sort") if valid else None) or DEFAULT_SORT,
        "agencies": [
            {"node": node, "checked": node.agency.slug in selected["agency"]}
            for node in agency_tree(counts=False)
        ],
        "outlets": [
            {"outlet": outlet, "checked": outlet.slug in selected["outlet"]}
            for outlet in Outlet.objects.order_by("name")
        ],
        "statuses": _choices(ClaimStatus.choices, selected["status"]),
        "kinds": _choices(ClaimKind.choices, selected["kind"]),
        "origin_kinds": _choices(SourceKind.choices, selected["origin_kind"]),
        "flags": [
            (name, claim_filter.form[name]) for name in ("anonymous_only", "single_outlet", "contested")
        ],
        "audiences": audiences_for(request.user),
    }
    return render(request, "agencies/claims.html", context, status=200 if valid else 400)


@require_POST
@record_reader
def brief_selection(request):
    """Ask for a briefing whose scope is the explorer's selection, in its normal form."""
    query = request.POST.get("filter", "")
    back = reverse("agencies:claims") + (f"?{query}" if query else "")
    claim_filter = ClaimFilter(QueryDict(query), queryset=Claim.objects.all())
    if not claim_filter.is_valid():
        messages.error(request, "No briefing: the selection is not a valid filter.")
        return HttpResponseRedirect(back)
    if not claim_filter.qs.exists():
        messages.error(request, "No briefing: no claim matches this selection.")
        return HttpResponseRedirect(back)
    return briefing_request_and_redirect(request, scope={"filter": claim_filter.querystring()}, back=back)
