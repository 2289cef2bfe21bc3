"""Every page a reader opens, found in the code, and timed: the `reader` section of bench.measure.

The pages come from the URLconf (argument-free GET pages as they are, the others filled in by
FILLINGS), from admin.site._registry (each changelist, with each choice its list_filter offers
first, and the change form of the row with the most inline rows) and from ClaimFilter's filters (the
explorer under each): a new page, filter or admin is measured without editing the bench, and one
the bench cannot fill in is listed with the reason, never left out silently.

Each page is timed on its own, under a time limit (a slow page is recorded as "more than N ms" and
the next one runs), as the bench's superuser through Django's test client.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.measure import (
    BENCH_USER,
    YEARS,
    TimeLimit,
    _delete_briefings,
    _failure,
    bench_client,
    briefing_scopes,
    time_limit,
)

COMMON_TERM = "records"  # in about one claim in six of the synthetic record, and in document titles
BRIEFING_CLAIMS = 200  # the size of the briefing asked for: the same at both scales
EXPORT_SECONDS = 10.0  # how long the CSV export is read for its rows per second
MIN_RUNS = 3  # runs of each page that takes under SLOW_SECONDS in all: a p50 of at least 3
SLOW_SECONDS = 20.0  # a page this slow is a miss anyway: one or two runs of it, not three
# URL names that are no reader's page, and why they are not measured.
SKIPPED = {
    "agencies:briefing_download": "a built PDF streamed from storage: the worker's product",
    "agencies:intake_review": "an intake draft under review: no drafts in a synthetic record",
    "agencies:intake_match": "a fragment the intake page fetches while one types",
}


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    method: str = "GET"
    data: dict = field(default_factory=dict)
    expect: int = 200
    export: bool = False  # a streamed CSV: time to its first claim row, and rows per second
    before: Callable[[], object] | None = None  # untimed, before each request
    check: Callable[[], object] | None = None  # untimed, after the first request: raises if it went wrong
    missing: str = ""  # why this page cannot be measured


@dataclass(frozen=True)
class Record:
    """What the pages are filled in with: the largest agency, leaves, briefings' scopes, a user."""

    user: object
    largest: str
    leaf: str  # the leaf with the most claims: its page and findings
    brief_leaf: str  # the leaf nearest BRIEFING_CLAIMS claims: its briefing is the same size at both scales
    briefing_filter: str  # what the briefing requests ask for
    status_filter: str  # the briefing whose status page is read (another scope: never joined)
    about: dict


def record_context(user) -> Record:
    """The agency with the most claims (sub-agencies included), the leaf agency with the most claims,
    the leaf nearest BRIEFING_CLAIMS claims, and a claims filter of about BRIEFING_CLAIMS claims."""
    from django.db.models import Count

    from agencies.models import Agency, ClaimAgency

    parents = dict(Agency.objects.values_list("pk", "parent_id"))
    slugs = dict(Agency.objects.values_list("pk", "slug"))
    own = Counter(dict(ClaimAgency.objects.order_by().values_list("agency_id").annotate(n=Count("id"))))
    subtree: Counter = Counter()
    for agency, n in own.items():
        seen = set()
        while agency is not None and agency not in seen:
            seen.add(agency)
            subtree[agency] += n
            agency = parents.get(agency)
    has_children = {parent for parent in parents.values() if parent is not None}
    leaves = [pk for pk in parents if pk not in has_children] or list(parents)
    largest = max(parents, key=lambda pk: (subtree[pk], -pk))
    leaf = max(leaves, key=lambda pk: (own[pk], -pk))
    brief_leaf = min(leaves, key=lambda pk: (abs(own[pk] - BRIEFING_CLAIMS), pk))
    whole, years, counts = briefing_scopes(BRIEFING_CLAIMS)
    about = {
        "largest": {"slug": slugs[largest], "claims": subtree[largest]},
        "leaf": {"slug": slugs[leaf], "claims": own[leaf]},
        "brief_leaf": {"slug": slugs[brief_leaf], "claims": own[brief_leaf]},
        "briefing": {"filter": whole, "claims": counts["whole"]},
    }
    return Record(
        user=user,
        largest=slugs[largest],
        leaf=slugs[leaf],
        brief_leaf=slugs[brief_leaf],
        briefing_filter=whole,
        status_filter=years[0],
        about=about,
    )


# --- the explorer under each of its filters ---------------------------------------------------------------


def filter_values(claim_filter, record: Record) -> list[tuple[str, str]]:
    """(page suffix, value) for one of ClaimFilter's filters: what the bench sets it to. Empty when
    the bench knows no value for a filter of that kind (the page is then listed as not measured)."""
    import django_filters

    from agencies.core.filters import DEFAULT_SORT, ClaimOrderingFilter, FlagFilter, PartialDateFilter
    from agencies.exchange.synthetic import SELECTIVE_TERM
    from agencies.models import Agency

    choices = claim_filter.extra.get("choices") or []
    values = [value for value, _label in (choices() if callable(choices) else choices) if value]
    if isinstance(claim_filter, ClaimOrderingFilter):
        keys = [key for key in values if key != DEFAULT_SORT]
        return [(key.lstrip("-") + ("_desc" if key.startswith("-") else ""), key) for key in keys]
    if isinstance(claim_filter, FlagFilter):
        return [("", "true")]
    if isinstance(claim_filter, PartialDateFilter):
        return [("", str(YEARS[len(YEARS) // 2]))]
    if isinstance(claim_filter, django_filters.ModelMultipleChoiceFilter):
        queryset = claim_filter.queryset
        if queryset.model is Agency:
            return [("", record.largest)]
        first = queryset.order_by("pk").first()
        return (
            []
            if first is None
            else [("", str(getattr(first, claim_filter.extra.get("to_field_name") or "pk")))]
        )
    if isinstance(claim_filter, django_filters.MultipleChoiceFilter | django_filters.ChoiceFilter):
        return [("", str(value)) for value in values[:1]]
    if isinstance(claim_filter, django_filters.CharFilter):
        return [("common", COMMON_TERM), ("rare", SELECTIVE_TERM)]
    return []


def explorer_pages(url: str, record: Record) -> list[Page]:
    from urllib.parse import urlencode

    from agencies.core.filters import ClaimFilter

    pages = [Page("claims", url)]
    for name, claim_filter in ClaimFilter.base_filters.items():
        values = filter_values(claim_filter, record)
        if not values:
            kind = type(claim_filter).__name__
            pages.append(Page(f"claims.{name}", url, missing=f"the bench sets no value for a {kind}"))
        for suffix, value in values:
            page_name = f"claims.{name}" + (f"_{suffix}" if suffix else "")
            pages.append(Page(page_name, f"{url}?{urlencode({name: value})}"))
    # A filter every dated claim passes: the exact count of (nearly) the whole record.
    pages.append(Page("claims.count_all", f"{url}?made_after={YEARS[0] - 100}"))
    pages.append(Page("claims.export_csv", f"{url}?format=csv", export=True))
    return pages


# --- the URLconf --------------------------------------------------------------------------------------


def url_names() -> list[tuple[str, bool]]:
    """(name, takes arguments) of every named page of the project's URLconf outside the admin."""
    from django.urls import URLResolver, get_resolver

    found = []

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue  # the admin's pages come from its registry, below
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif pattern.name:
                found.append((f"{namespace}{pattern.name}", bool(pattern.pattern.regex.groups)))

    walk(get_resolver("oversight.urls").url_patterns, "")
    return found + _admin_site_views()


def _admin_site_views() -> list[tuple[str, bool]]:
    """The admin site's own views (Findings, the dossier upload...): those its get_urls adds to
    Django's AdminSite, whose other pages come from the registry (admin_pages)."""
    from django.contrib import admin
    from django.contrib.admin import AdminSite
    from django.urls import URLPattern

    def named(patterns) -> dict[str, bool]:
        patterns = [p for p in patterns if isinstance(p, URLPattern) and p.name]
        return {p.name: bool(p.pattern.regex.groups) for p in patterns}

    stock = named(AdminSite.get_urls(admin.site))
    own = named(admin.site.get_urls())
    return [(f"admin:{name}", args) for name, args in own.items() if name not in stock]


def _requested(record: Record):
    from agencies.models import Briefing

    return Briefing.objects.filter(requested_by=record.user)


def _forget_requests(record: Record) -> Callable[[], None]:
    """Before a briefing request: earlier briefings go, whoever asked (an equal one, such as the
    briefing section's of the same selection, would be joined or reused, not queued; and one user
    may have only a few queued), except the one whose status page is read."""

    def forget() -> None:
        from agencies.briefings.services import briefing_delete
        from agencies.models import Briefing

        for briefing in Briefing.objects.exclude(pk__in=_STATUS_PAGE_BRIEFINGS):
            briefing_delete(briefing=briefing)

    return forget


def _queued(record: Record) -> Callable[[], None]:
    def check() -> None:
        from agencies.models import BriefingStatus

        if not _requested(record).filter(status=BriefingStatus.QUEUED).exists():
            raise RuntimeError("the request queued no briefing")

    return check


# The briefings whose status page is read: the requests' clean-up leaves them be.
_STATUS_PAGE_BRIEFINGS: set[int] = set()


def _queued_briefing(record: Record) -> int:
    """A briefing queued by no one (as a command queues one), its status page read."""
    from agencies.briefings.services import briefing_request

    briefing, _published = briefing_request(
        actor=None, scope={"filter": record.status_filter}, audience="public"
    )
    _STATUS_PAGE_BRIEFINGS.add(briefing.pk)
    return briefing.pk


def fillings(record: Record) -> dict[str, Callable[[], list[Page]]]:
    """How to fill in the pages that need more than a GET of their bare URL (arguments, a form)."""
    from django.urls import reverse

    def url(name: str, **kwargs) -> str:
        return reverse(name, kwargs=kwargs)

    request = {"method": "POST", "expect": 302, "before": _forget_requests(record), "check": _queued(record)}
    return {
        "agencies:claims": lambda: explorer_pages(url("agencies:claims"), record),
        "agencies:agency_detail": lambda: [
            Page("agency_detail.largest", url("agencies:agency_detail", slug=record.largest)),
            Page("agency_detail.leaf", url("agencies:agency_detail", slug=record.leaf)),
        ],
        "admin:findings": lambda: [
            Page("findings", url("admin:findings")),
            Page("findings.largest", f"{url('admin:findings')}?agency={record.largest}"),
            Page("findings.leaf", f"{url('admin:findings')}?agency={record.leaf}"),
        ],
        # The agency page's further pages, the second of each for the largest agency.
        **{
            f"agencies:{name}": lambda name=name: [
                Page(f"{name}.largest", f"{url(f'agencies:{name}', slug=record.largest)}?page=2")
            ]
            for name in ("agency_timeline", "agency_figures", "agency_requests")
        },
        # The web request alone: it queues the briefing (a broker accepts it; no worker builds it).
        "agencies:claims_brief": lambda: [
            Page(
                "claims_brief",
                url("agencies:claims_brief"),
                data={"filter": record.briefing_filter, "audience": "public"},
                **request,
            )
        ],
        "agencies:agency_brief": lambda: [
            Page(
                "agency_brief.leaf",
                url("agencies:agency_brief", slug=record.brief_leaf),
                data={"audience": "public"},
                **request,
            )
        ],
        "agencies:briefing_status": lambda: [
            Page("briefing_status.queued", url("agencies:briefing_status", pk=_queued_briefing(record)))
        ],
    }


# --- the admin ----------------------------------------------------------------------------------------


def _most_inline_rows(model, model_admin) -> object | None:
    """The pk of the row whose change form shows the most inline rows (among the top few of each
    inline: the row with the most of all is one of them in any record the bench builds)."""
    from django.db.models import Count
    from django.forms.models import _get_foreign_key

    links = []
    for inline in model_admin.inlines:
        try:
            fk = _get_foreign_key(model, inline.model, fk_name=inline.fk_name)
        except ValueError:  # a generic inline: no foreign key to count by
            continue
        links.append((inline.model, fk.attname))
    candidates = set()
    for child, column in links:
        top = child._default_manager.order_by().values(column).annotate(n=Count("pk")).order_by("-n")[:20]
        candidates |= {row[column] for row in top if row[column] is not None}
    if not candidates:
        return model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    totals: Counter = Counter()
    for child, column in links:
        rows = child._default_manager.filter(**{f"{column}__in": candidates}).order_by().values(column)
        totals.update({row[column]: row["n"] for row in rows.annotate(n=Count("pk"))})
    return max(candidates, key=lambda pk: (totals[pk], -pk))


def _list_filter_pages(model_admin, user, name: str, url: str) -> list[Page]:
    """The changelist under each of its list filters, at the first choice the filter offers."""
    from django.test import RequestFactory

    request = RequestFactory().get(url)
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    pages = []
    for spec in changelist.filter_specs:
        label = getattr(spec, "field_path", None) or getattr(spec, "parameter_name", None) or spec.title
        choice = next((c for c in spec.choices(changelist) if not c.get("selected")), None)
        page_name = f"{name}.{label}"
        if choice is None:
            pages.append(Page(page_name, url, missing="the filter offers no choice in this record"))
        else:
            pages.append(Page(page_name, f"{url}{choice['query_string']}"))
    return pages


def admin_pages(user) -> list[Page]:
    from django.contrib import admin
    from django.urls import reverse

    pages = [Page("admin.index", reverse("admin:index"))]
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        opts = model._meta
        name = f"admin.{opts.app_label}.{opts.model_name}"
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        pages.append(Page(name, url))
        pages += _list_filter_pages(model_admin, user, name, url)
        if model_admin.inlines:
            pk = _most_inline_rows(model, model_admin)
            change = f"admin.{opts.app_label}.{opts.model_name}.change"
            if pk is None:
                pages.append(Page(change, url, missing="no rows"))
            else:
                pages.append(
                    Page(change, reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
                )
    return pages


def reader_pages(record: Record) -> list[Page]:
    """Every page the bench measures, in order: the URLconf's pages, then the admin's."""
    from django.urls import reverse

    fill = fillings(record)
    pages: list[Page] = []
    for name, takes_arguments in url_names():
        if name in SKIPPED:
            continue
        if name in fill:
            pages += fill[name]()
        elif takes_arguments:
            short = name.rpartition(":")[2]
            pages.append(Page(short, "", missing=f"the bench does not know what to fill {name}'s URL with"))
        else:
            pages.append(Page(name.rpartition(":")[2], reverse(name)))
    return pages + admin_pages(record.user)


# --- timing -------------------------------------------------------------------------------------------


def _request(client, page: Page):
    if page.method == "POST":
        return client.post(page.url, page.data)
    return client.get(page.url)


def _export(client, page: Page) -> tuple[float, int, float]:
    """ms to the first claim row of a streamed export, then rows read within EXPORT_SECONDS and their ms."""
    t0 = time.perf_counter()
    response = client.get(page.url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {page.url} answered {response.status_code}")
    chunks = iter(response.streaming_content)
    next(chunks)  # the header row, written before any claim is read
    rows, first_ms = 0, None
    try:
        for _chunk in chunks:
            rows += 1
            now = time.perf_counter()
            if first_ms is None:
                first_ms = (now - t0) * 1000
            if now - t0 > EXPORT_SECONDS:
                break
    finally:
        response.close()
    return first_ms or (time.perf_counter() - t0) * 1000, rows, (time.perf_counter() - t0) * 1000


def _once(client, page: Page) -> float:
    t0 = time.perf_counter()
    response = _request(client, page)
    ms = (time.perf_counter() - t0) * 1000
    if response.status_code != page.expect:
        raise RuntimeError(f"{page.method} {page.url} answered {response.status_code}, not {page.expect}")
    return ms


def measure_page(client, page: Page, *, runs: int, budget: float, timeout: float) -> dict:
    """Milliseconds of up to `runs` requests after a warm one (no more than MIN_RUNS once `budget`
    seconds are spent, fewer past SLOW_SECONDS), and the queries of the warm one;
    {"timeout_ms": ...} when a request ran past `timeout`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    entry: dict = {"url": page.url, "method": page.method}
    if page.missing:
        return {**entry, "missing": page.missing}
    started = time.perf_counter()
    try:
        if page.before:
            page.before()
        with time_limit(timeout), CaptureQueriesContext(connection) as captured:
            _export(client, page) if page.export else _once(client, page)
        if page.check:
            page.check()
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
        entry["queries"] = len(captured.captured_queries)
        entry["slowest"] = [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:300]} for q in slowest]
        entry["ms"] = []
        if page.export:
            entry.update(rows=[], read_ms=[])
        begun = time.perf_counter()
        for _ in range(runs):
            if page.before:
                page.before()
            with time_limit(timeout):
                if page.export:
                    ms, rows, read_ms = _export(client, page)
                    entry["rows"].append(rows)
                    entry["read_ms"].append(read_ms)
                else:
                    ms = _once(client, page)
            entry["ms"].append(ms)
            spent = time.perf_counter() - begun
            if spent > budget and (len(entry["ms"]) >= MIN_RUNS or spent > SLOW_SECONDS):
                break
    except TimeLimit:
        connection.close()  # the interrupted query's connection is in no state to reuse
        return {**entry, "timeout_ms": timeout * 1000}
    except Exception as exc:
        connection.close()
        return {**entry, "missing": _failure(exc, time.perf_counter() - started)}
    return entry


def use_database(name: str) -> None:
    """Point the default connection at another database of the same server (the bench's two sizes):
    reconnected before anything is timed, the content types cached for the other one forgotten."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name
    ContentType.objects.clear_cache()
    connection.ensure_connection()


def _admit_agency_request(record: Record) -> None:
    """The synthetic record's smallest leaf grows with it (3,229 claims at a million, over the
    2,000 a briefing may cover): the agency request is measured on the leaf nearest BRIEFING_CLAIMS
    with the limit raised to its size, so that it is queued, not refused."""
    from django.conf import settings

    claims = record.about["brief_leaf"]["claims"]
    settings.BRIEFING_MAX_CLAIMS = max(settings.BRIEFING_MAX_CLAIMS, claims)


def section_reader(args, result: dict) -> None:
    """Every reader page (bench.pages.reader_pages) at both sizes, each under --page-timeout. The two
    databases take turns page by page, so that a machine busier at one moment than another weighs
    on both sides of a page's ratio alike."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.backends.signals import connection_created

    from agencies.models import Claim

    timeout = args.page_timeout

    def statement_timeout(sender, connection, **kwargs):
        # A query past the page's time limit stops on the server too, not only in this process.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = %s", [int((timeout + 5) * 1000)])

    connection_created.connect(statement_timeout, weak=False)
    names = {"small": args.small_db, "large": connection.settings_dict["NAME"]}
    clients, pages = {}, {}
    for size, name in names.items():
        use_database(name)
        clients[size] = bench_client()
        record = record_context(get_user_model()._default_manager.get(username=BENCH_USER))
        _admit_agency_request(record)
        pages[size] = {page.name: page for page in reader_pages(record)}
        result[size] = {"claims": Claim.objects.count(), "record": record.about, "pages": {}}
    result["timeout_ms"] = timeout * 1000
    for name in [*pages["large"], *(name for name in pages["small"] if name not in pages["large"])]:
        for size in names:
            use_database(names[size])
            page = pages[size].get(name) or Page(name, "", missing="no such page at this size")
            entry = measure_page(
                clients[size], page, runs=args.runs, budget=args.page_budget, timeout=timeout
            )
            result[size]["pages"][name] = entry
            shown = (
                entry.get("missing")
                or (f"more than {entry['timeout_ms']:.0f} ms" if "timeout_ms" in entry else "")
                or f"{sorted(entry['ms'])[len(entry['ms']) // 2]:.0f} ms"
            )
            print(f"  {name} ({size}): {shown}", file=sys.stderr, flush=True)
    for name in names.values():
        use_database(name)
        _delete_briefings()
