"""Time the agency pages and Findings against the record DATABASE_URL names, leaving it as it was.

    DATABASE_URL=postgres://.../ov_million python -m bench.agency_pages [--limit S] [--migrate]

The pages: the agency index, the page of the agency with the most claims (sub-agencies included)
and its "show more" pages, Findings across the record and for that agency. Each GET runs as a
superuser through Django's test client inside a transaction that is rolled back (the user and its
session are never kept), and stops after --limit seconds: "more than" the limit is then reported.
`pages_timed()` is the same measurement for a caller of its own (the bench).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from bench.measure import TimeLimit, time_limit

PAGES = (
    "/agencies/",
    "/agencies/{slug}/",
    "/agencies/{slug}/timeline/?page=2",
    "/agencies/{slug}/figures/?page=2",
    "/agencies/{slug}/requests/?page=2",
    "/admin/findings/",
    "/admin/findings/?figures=2&requests=2",
    "/admin/findings/?agency={slug}",
    "/admin/findings/?agency={slug}&figures=2",
)


def largest_agency() -> str:
    """The agency the most claims are about, counting its sub-agencies' (a root, on a tree)."""
    from agencies.core.selectors import agency_subtree_ids
    from agencies.models import Agency, ClaimAgency

    def about(agency: Agency) -> int:
        return ClaimAgency.objects.filter(agency_id__in=agency_subtree_ids(agency)).count()

    return max(Agency.objects.filter(parent__isnull=True), key=about).slug


def pages_timed(
    *, slug: str | None = None, limit: float = 60.0, migrate: bool = False, runs: int = 3
) -> list[tuple[str, float | None, int]]:
    """(url, median milliseconds or None when it took more than `limit`, status) for each page. With
    `migrate`, the code's migrations not yet applied to the record are applied first, inside the
    same transaction (a read-only record measured with the code's indexes)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    slug = slug or largest_agency()
    results = []
    with transaction.atomic():
        if migrate:
            call_command("migrate", verbosity=0)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        user = get_user_model()._default_manager.create_superuser("pages-bench", "pages@example.org", None)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for page in PAGES:
            url = page.format(slug=slug)
            with connection.cursor() as cursor:  # a query outlasting the limit stops too
                cursor.execute(f"SET LOCAL statement_timeout = {int(limit * 1000)}")
            results.append((url, *_median_get(client, url, runs=runs, limit=limit)))
        transaction.set_rollback(True)
    return results


def _median_get(client, url: str, *, runs: int, limit: float) -> tuple[float | None, int]:
    """Median milliseconds of `runs` GETs (after the first, which also warms templates and caches
    when it is quick), or None when one took more than `limit` seconds; and the status."""
    from django.db import transaction

    samples, status = [], 0
    for _ in range(runs + 1):
        started = time.perf_counter()
        try:
            with time_limit(limit), transaction.atomic():
                status = client.get(url).status_code
        except (TimeLimit, Exception) as exc:  # noqa: BLE001 - a timeout raises in the database too
            if not isinstance(exc, TimeLimit) and "statement timeout" not in str(exc):
                raise
            return None, status
        samples.append((time.perf_counter() - started) * 1000)
        if samples[0] > limit * 1000 / (runs + 1):
            break  # too slow to repeat within the limit: the one run is the figure
    return statistics.median(samples[1:] or samples), status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=60.0, help="seconds a page may take")
    parser.add_argument("--agency", help="slug of the agency (default: the one with the most claims)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per page, after one to warm up")
    parser.add_argument("--migrate", action="store_true", help="apply pending migrations, rolled back after")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings")
    import django

    django.setup()
    for url, ms, status in pages_timed(
        slug=args.agency, limit=args.limit, migrate=args.migrate, runs=args.runs
    ):
        shown = f"more than {args.limit:.0f} s" if ms is None else f"{ms:,.0f} ms"
        print(f"{url:55} {shown:>18}  {status or ''}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
