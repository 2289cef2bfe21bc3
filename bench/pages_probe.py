"""Time list pages (the explorer and the claims changelist) on the database DATABASE_URL names.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ov_million \\
        python -m bench.pages_probe [--runs 2] [--timeout 300] [URL ...]

Without URLs it times every list filter of the explorer (ClaimFilter) and of the claims changelist
(`filter_urls()`). Each URL is fetched with Django's test client as a superuser; the figure is the
best of `runs` fetches after a first one that warms the page. The superuser and its session are
written inside a transaction that is rolled back: the record is left exactly as it was, so the probe
may run against a record others treat as read-only.

From Python: `probe(urls, runs=2, timeout=300)` -> list[Probe] (url, status, best ms, queries), and
`report(probes)` prints them as a table.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass

PROBE_USER = "pages-probe"


@dataclass(frozen=True)
class Probe:
    url: str
    status: int | None  # None: it failed or ran out of time (see error)
    ms: float | None  # best of the timed runs
    queries: int | None
    count: str = ""  # what the page says it lists ("About 1,000,000", "170,321")
    error: str = ""


def filter_urls() -> list[str]:
    """One URL per list filter of the explorer and of the claims changelist, with values taken from
    the record (an agency with sub-agencies, an outlet), and the unfiltered pages to compare with."""
    from agencies.exchange.synthetic import SELECTIVE_TERM
    from agencies.models import Agency, Outlet

    parent = Agency.objects.filter(children__isnull=False).order_by("pk").first() or Agency.objects.first()
    outlet = Outlet.objects.order_by("pk").first()
    explorer = [
        "",
        "q=official",
        f"q={SELECTIVE_TERM}",
        "status=disputed",
        "status=corroborated",
        "kind=figure",
        "origin_kind=anonymous",
        "anonymous_only=true",
        "anonymous_only=false",
        "single_outlet=true",
        "single_outlet=false",
        "contested=true",
        "contested=false",
        "made_after=2025-01",
        "made_before=2016-06",
        "sort=-origins",
        "sort=status",
        "status=disputed&anonymous_only=true&sort=-origins",
    ]
    if parent is not None:
        explorer.append(f"agency={parent.slug}")
    if outlet is not None:
        explorer.append(f"outlet={outlet.slug}")
    admin = [
        "",
        "status__exact=disputed",
        "kind__exact=figure",
        "evidence=anonymous_only",
        "evidence=single_outlet",
        "evidence=warnings",
        "evidence=warnings&status__exact=corroborated",
    ]
    if parent is not None:
        admin.append(f"agencies__id__exact={parent.pk}")
    return [f"/claims/?{query}".rstrip("?") for query in explorer] + [
        f"/admin/agencies/claim/?{query}".rstrip("?") for query in admin
    ]


# What a page says it lists: the explorer's "About <strong>1,000,000</strong> claims", the
# changelist's paginator "170321 claims".
_SHOWN = re.compile(r"(About )?(?:<strong>)?([\d,]+)(?:</strong>)? claims?\b")


def _shown_count(content: bytes) -> str:
    text = content.decode(errors="replace")
    at = text.find('class="paginator"')
    found = _SHOWN.search(text, at if at >= 0 else 0)
    return "" if found is None else (found.group(1) or "") + found.group(2)


def _one(client, url: str, runs: int) -> Probe:
    from django.db import connection

    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        response = client.get(url)  # warms the page, and counts its queries
    best = None
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        best = elapsed if best is None else min(best, elapsed)
    return Probe(
        url=url,
        status=response.status_code,
        ms=best,
        queries=len(queries),
        count=_shown_count(response.content),
    )


def probe(urls: list[str], *, runs: int = 2, timeout: float = 300) -> list[Probe]:
    """Each URL's best time of `runs` (after one warming fetch), as a superuser; nothing is kept.

    `timeout` (seconds) bounds each query of a URL (statement_timeout, which leaves the transaction
    usable), and an alarm a little later bounds the URL's Python."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client

    from bench.measure import TimeLimit, time_limit

    results = []
    with transaction.atomic():
        user = get_user_model()._default_manager.create_superuser(PROBE_USER, "probe@example.org", None)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [int(timeout * 1000)])
        for url in urls:
            try:
                with (
                    transaction.atomic(),
                    time_limit(timeout * (runs + 1) + 30),
                ):  # a savepoint: a failure stays with its URL
                    results.append(_one(client, url, runs))
            except (TimeLimit, Exception) as exc:  # noqa: BLE001 - reported beside the URL
                results.append(Probe(url=url, status=None, ms=None, queries=None, error=str(exc)[:200]))
        transaction.set_rollback(True)
    return results


def report(probes: list[Probe], out=sys.stdout) -> None:
    width = max((len(p.url) for p in probes), default=10)
    print(f"{'url':<{width}}  {'ms':>9}  {'queries':>7}  {'status':>6}  count", file=out)
    for p in probes:
        ms = f"{p.ms:,.0f}" if p.ms is not None else "-"
        queries = "-" if p.queries is None else str(p.queries)
        status = "-" if p.status is None else str(p.status)
        print(f"{p.url:<{width}}  {ms:>9}  {queries:>7}  {status:>6}  {p.count or p.error}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="*", help="paths to time (default: every list filter)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per URL")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings")
    import django

    django.setup()
    probes = probe(args.urls or filter_urls(), runs=args.runs, timeout=args.timeout)
    report(probes)
    return 0 if all(p.status == 200 for p in probes) else 1


if __name__ == "__main__":
    sys.exit(main())
