"""One section of the bench, measured inside Django against the database DATABASE_URL names.

    python -m bench.measure SECTION --out FILE [--runs R] [--budget SECONDS]

Sections: pages (admin changelist, a stock ModelAdmin, the explorer), search (the explorer's
full-text search and its query plans), import (dossier importer, loaddata and COPY of the same
rows), briefing (request to stored PDF against WeasyPrint alone; 200 claims against 10 x 20),
worker (a real `celery -A oversight worker` process: RSS after 1 and after 100 briefings), reader
(every page a reader opens, each under its own time limit: bench.pages), load (the explorer under
gunicorn and 8 concurrent clients: bench.load). bench.run starts each section in its own process
and reads the raw numbers it writes to FILE; the medians, ratios and targets are bench.stats' business.

Timings repeat up to --runs times, fewer when one measurement has used up --budget seconds (a
briefing at a million claims can take minutes): the result says how many runs it had.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.redis_server import RedisServer

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_USER = "bench"
YEARS = list(range(2016, 2026))  # the synthetic record's full years: disjoint windows for briefings


# --- helpers -----------------------------------------------------------------------------------------


class TimeLimit(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (SIGALRM: it lands between two Python bytecodes)."""

    def expire(signum, frame):
        raise TimeLimit(f"took longer than {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def repeat(fn: Callable[[], object], runs: int, budget: float) -> list[float]:
    """Milliseconds of up to `runs` calls of fn, stopping early once `budget` seconds are spent."""
    samples: list[float] = []
    started = time.perf_counter()
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - started > budget:
            break
    return samples


def _ms(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    value = fn()
    return (time.perf_counter() - t0) * 1000, value


def bench_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user_model = get_user_model()
    user = user_model._default_manager.filter(username=BENCH_USER).first()
    if user is None:
        user = user_model._default_manager.create_superuser(BENCH_USER, "bench@example.org", None)
    client = Client()
    client.force_login(user)
    return client


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return response


def _plan(sql: str) -> str:
    """The planner's plan for `sql` (not run; lines cut short): where a slow query's time goes."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0][:240] for row in cursor.fetchall())


def _queries(client, url: str) -> tuple[int, list[dict]]:
    """How many queries one GET runs, and the three slowest (ms, start of the SQL; the slowest's plan)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _get(client, url)
    queries = list(captured.captured_queries)
    slowest = sorted(queries, key=lambda q: -float(q["time"]))[:3]
    described = [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:400]} for q in slowest]
    if described:
        described[0]["plan"] = _plan(slowest[0]["sql"])
    return len(queries), described


def explorer_url() -> str | None:
    from django.urls import Resolver404, resolve

    try:
        resolve("/claims/")
    except Resolver404:
        return None
    return "/claims/"


# --- pages -------------------------------------------------------------------------------------------


def section_pages(args, result: dict) -> None:
    """The claims changelist, the same data under a stock ModelAdmin, and the explorer: queries, ms."""
    from django.urls import reverse

    from agencies.models import Claim

    client = bench_client()
    pages = {
        "changelist": reverse("admin:agencies_claim_changelist"),
        "stock": reverse("stock:agencies_claim_changelist"),
    }
    result["claims"] = Claim.objects.count()
    explorer = explorer_url()
    if explorer is None:
        result["explorer"] = {"missing": "there is no /claims/ page in this checkout"}
    else:
        pages["explorer"] = explorer
    for name, url in pages.items():
        _get(client, url)  # warm: templates, caches, the connection
        queries, slowest = _queries(client, url)
        result[name] = {"url": url, "queries": queries, "slowest": slowest, "ms": []}
    # Interleaved, so that each run compares pages under the same conditions.
    started = time.perf_counter()
    for _ in range(args.runs):
        for name, url in pages.items():
            result[name]["ms"].append(_ms(lambda url=url: _get(client, url))[0])
        if time.perf_counter() - started > args.budget:
            break


# --- search ------------------------------------------------------------------------------------------

_INDEX_USE = re.compile(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:using|on) (\S+)")
_SEQ_SCAN = re.compile(r"Seq Scan on (\S+)")


def section_search(args, result: dict) -> None:
    """The explorer's full-text search for a selective term: p50 ms and the plans of its queries."""
    from django.db import connection

    from agencies.briefings.scope import resolve_scope
    from agencies.exchange.synthetic import SELECTIVE_TERM

    explorer = explorer_url()
    if explorer is None:
        result["missing"] = "there is no /claims/ page in this checkout"
        return
    client = bench_client()
    url = f"{explorer}?q={SELECTIVE_TERM}"
    _get(client, url)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _get(client, url)
    queries = list(captured.captured_queries)  # the log goes when the connection is renewed
    samples = repeat(lambda: _get(client, url), max(args.runs, 11), args.budget)
    term = SELECTIVE_TERM.lower()
    plans = []
    for query in queries:
        if term not in query["sql"].lower():
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        plans.append(
            {
                "ms": round(float(query["time"]) * 1000, 1),
                "indexes": sorted(set(_INDEX_USE.findall(plan))),
                "seq_scans": sorted(set(_SEQ_SCAN.findall(plan))),
                "plan": plan,
                "sql": query["sql"][:600],
            }
        )
    matches = resolve_scope({"filter": f"q={SELECTIVE_TERM}"}).claim_filter.qs.count()
    result.update(
        {"term": SELECTIVE_TERM, "matches": matches, "queries": len(queries), "ms": samples, "plans": plans}
    )


# --- import ------------------------------------------------------------------------------------------


def _record_tables() -> list[str]:
    from django.db import connection

    return sorted(t for t in connection.introspection.table_names() if t.startswith("agencies_"))


def _empty_record() -> None:
    from django.db import connection

    tables = ", ".join(connection.ops.quote_name(t) for t in _record_tables())
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def _record_rows() -> int:
    from agencies.exchange.synthetic import RECORD_MODELS

    return sum(model.objects.count() for model in RECORD_MODELS)


def section_import(args, result: dict) -> None:
    """The same synthetic rows three ways into an empty record: the dossier importer (a dossier
    file), Django's loaddata (a fixture file), raw COPY (the tables' own text)."""
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from agencies.exchange import dossier_dump, dossier_export, dossier_import, dossier_load
    from agencies.exchange.synthetic import RECORD_MODELS, record_load

    _empty_record()
    record_load(claims=args.import_claims, seed=args.seed, prefix="imp", progress_stream=None)
    folder = Path(tempfile.mkdtemp(prefix="oversight-bench-import-"))
    dossier_path = folder / "dossier.json"
    dossier_path.write_text(dossier_dump(dossier_export(internal=True), "json"), encoding="utf-8")
    fixture_path = folder / "fixture.json"
    labels = [model._meta.label for model in RECORD_MODELS]
    call_command("dumpdata", *labels, format="json", output=str(fixture_path), verbosity=0)
    copies = []
    with connection.cursor() as cursor:
        for model in RECORD_MODELS:
            table = connection.ops.quote_name(model._meta.db_table)
            columns = ", ".join(connection.ops.quote_name(f.column) for f in model._meta.concrete_fields)
            data = bytearray()
            with cursor.cursor.copy(f"COPY {table} ({columns}) TO STDOUT") as copy:  # noqa: S608
                for chunk in copy:
                    data += chunk
            copies.append((table, columns, bytes(data)))
    expected = _record_rows()
    _empty_record()

    def by_importer():
        dossier_import(data=dossier_load(dossier_path))

    def by_loaddata():
        call_command("loaddata", str(fixture_path), verbosity=0)

    def by_copy():
        with transaction.atomic(), connection.cursor() as cursor:
            for table, columns, data in copies:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608
                    copy.write(data)
            for sql in connection.ops.sequence_reset_sql(no_style(), list(RECORD_MODELS)):
                cursor.execute(sql)

    methods = {"importer": by_importer, "loaddata": by_loaddata, "copy": by_copy}
    result.update(
        {
            "claims": args.import_claims,
            "records": expected,
            "dossier_bytes": dossier_path.stat().st_size,
            "fixture_bytes": fixture_path.stat().st_size,
        }
    )
    for name in methods:
        result[name] = {"ms": [], "records": []}
    started = time.perf_counter()
    for _ in range(args.runs):
        for name, method in methods.items():
            ms, _ = _ms(method)
            result[name]["ms"].append(ms)
            result[name]["records"].append(_record_rows())
            _empty_record()
        if time.perf_counter() - started > args.budget:
            break
    for path in (dossier_path, fixture_path):
        path.unlink()
    folder.rmdir()


# --- briefings ---------------------------------------------------------------------------------------


def briefing_scopes(target: int) -> tuple[str, list[str], dict]:
    """A claims filter of about `target` claims over 2016-2025, and the same filter year by year:
    ten disjoint scopes whose claims add up to the first's. The filter names one agency (its
    sub-agencies included, as the filter does), narrowed by status and kind to the right size."""
    from collections import defaultdict

    from django.db.models import Count

    from agencies.briefings.scope import resolve_scope
    from agencies.models import Agency, ClaimAgency

    parents = dict(Agency.objects.values_list("pk", "parent_id"))
    slugs = dict(Agency.objects.values_list("pk", "slug"))
    rows = (
        ClaimAgency.objects.filter(claim__made__gte="2016", claim__made__lt="2026")
        .values_list("agency_id", "claim__status", "claim__kind")
        .annotate(n=Count("id"))
    )
    # Claims per agency subtree; a claim about an agency and its parent counts twice here, and the
    # chosen filter's real size is counted below.
    sizes: dict[tuple, int] = defaultdict(int)
    for agency_id, status, kind, n in rows:
        seen = set()
        current = agency_id
        while current is not None and current not in seen:
            seen.add(current)
            for key in ((current,), (current, status), (current, None, kind), (current, status, kind)):
                sizes[key] += n
            current = parents.get(current)
    if not sizes:
        raise RuntimeError("no claims to brief on")
    key = min(sorted(sizes, key=lambda k: tuple(str(p) for p in k)), key=lambda k: abs(sizes[k] - target))
    parts = [f"agency={slugs[key[0]]}"]
    if len(key) > 1 and key[1]:
        parts.append(f"status={key[1]}")
    if len(key) > 2 and key[2]:
        parts.append(f"kind={key[2]}")
    base = "&".join(parts)
    whole = f"{base}&made_after={YEARS[0]}&made_before={YEARS[-1]}"
    years = [f"{base}&made_after={year}&made_before={year}" for year in YEARS]

    def count(query: str) -> int:
        return resolve_scope({"filter": query}).claim_filter.qs.count()

    counts = {"whole": count(whole), "years": [count(q) for q in years]}
    return whole, years, counts


def _delete_briefings() -> None:
    from agencies.briefings.services import briefing_delete
    from agencies.models import Briefing

    for briefing in Briefing.objects.all():
        briefing_delete(briefing=briefing)


def section_briefing(args, result: dict) -> None:
    """~200 claims from request to stored PDF against WeasyPrint alone on the same HTML; the
    same claims rendered as one briefing against ten briefings of a year each.

    A probe reads the data and writes the HTML once first: when the HTML is over --max-html-mb
    the PDF is not attempted (WeasyPrint's time and memory grow with it) and the result says why."""
    from django.utils import timezone
    from weasyprint import HTML

    from agencies.briefings.data import briefing_data
    from agencies.briefings.fetcher import BASE_URL, BundledAssetFetcher
    from agencies.briefings.html import briefing_html
    from agencies.briefings.pdf import prepared
    from agencies.briefings.render import briefing_render
    from agencies.briefings.services import briefing_request
    from agencies.models import BriefingStatus, Claim

    audience = "public"
    limit = args.render_limit
    whole, years, counts = briefing_scopes(args.briefing_claims)
    result.update(
        {
            "claims_in_record": Claim.objects.count(),
            "scope": whole,
            "claims": counts,
            "request_ms": [],
            "weasyprint_ms": [],
            "whole_ms": [],
            "years_ms": [],
        }
    )
    with time_limit(limit):
        t0 = time.perf_counter()
        data = briefing_data(scope={"filter": whole}, audience=audience)
        t1 = time.perf_counter()
        html = briefing_html(data, fingerprint="0" * 64, generated=timezone.now())
        data_ms, html_ms = (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000
    result["probe"] = {
        "data_ms": data_ms,
        "html_ms": html_ms,
        "html_bytes": len(html.encode()),
        "sections": len(data.agencies),
        "claims": data.findings.claims,
        "contested_pairs": len(data.contested),
        "rate_pairs": len(data.rates),
        "timeline_events": len(data.timeline),
        "comment_requests": len(data.comment_requests),
        "register_sources": len(data.sources),
    }
    del data, html
    megabytes = result["probe"]["html_bytes"] / 1e6
    if megabytes > args.max_html_mb:
        probe = result["probe"]
        result["missing"] = (
            f"the HTML of this {counts['whole']}-claim briefing is {megabytes:.1f} MB "
            f"({probe['rate_pairs']:,} comparable-rate pairs, {probe['contested_pairs']:,} contested pairs, "
            f"{probe['register_sources']:,} sources, {probe['timeline_events']:,} timeline events; data "
            f"{data_ms / 1000:.0f} s): no PDF attempted, over the bench's {args.max_html_mb:g} MB ceiling"
        )
        return
    # Warm the process as a worker is warm: fonts, stylesheet, templates.
    with time_limit(limit):
        briefing_render(scope={"filter": years[0]}, audience=audience)
    ready = prepared()
    started = time.perf_counter()
    for _ in range(args.runs):
        _delete_briefings()  # a briefing equal to one already built would be returned, not rendered
        with time_limit(limit):
            ms, (briefing, _published) = _ms(
                lambda: briefing_request(actor=None, scope={"filter": whole}, audience=audience)
            )
        if briefing.status != BriefingStatus.SUCCEEDED:
            raise RuntimeError(f"the briefing ended {briefing.status}: {briefing.error}")
        result["pages"] = briefing.page_count
        html = briefing_html(
            briefing_data(scope={"filter": whole}, audience=audience),
            fingerprint=briefing.fingerprint,
            generated=briefing.finished_at,
        )
        with time_limit(limit):
            weasy_ms, _pdf = _ms(
                lambda html=html: (
                    HTML(string=html, base_url=BASE_URL, url_fetcher=BundledAssetFetcher())
                    .render(stylesheets=ready.stylesheets, font_config=ready.font_config)
                    .write_pdf()
                )
            )
        with time_limit(limit):
            whole_ms, _ = _ms(lambda: briefing_render(scope={"filter": whole}, audience=audience))
        with time_limit(limit * len(years)):
            years_ms = sum(
                _ms(lambda q=q: briefing_render(scope={"filter": q}, audience=audience))[0] for q in years
            )
        # A run counts only once all of its numbers are in: its ratios are taken within it.
        result["request_ms"].append(ms)
        result["weasyprint_ms"].append(weasy_ms)
        result["whole_ms"].append(whole_ms)
        result["years_ms"].append(years_ms)
        if time.perf_counter() - started > args.budget:
            break
    _delete_briefings()


# --- a real worker -----------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while being read
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _pss_kib(pid: int) -> int:
    """The process's proportional set size: its own pages, and its share of those it shares."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Pss for process {pid}")


def tree_memory_kib(pid: int) -> int:
    """Memory a worker uses: the PSS of its main process and of its pool's processes (PSS, so that
    pages a forked child still shares with its parent count once)."""
    total = 0
    for process in [pid, *_children(pid)]:
        try:
            total += _pss_kib(process)
        except (OSError, RuntimeError):  # a child that was just replaced
            continue
    return total


def worker_scopes(n: int) -> list[str]:
    """`n` different claims filters (one agency, one year; then one kind too), largest first."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from agencies.models import ClaimAgency

    base = ClaimAgency.objects.filter(claim__made__gte="2016", claim__made__lt="2026").annotate(
        year=Substr("claim__made", 1, 4)
    )
    scopes: list[tuple[int, str]] = []
    for slug, year, count in base.values_list("agency__slug", "year").annotate(n=Count("id")):
        scopes.append((count, f"agency={slug}&made_after={year}&made_before={year}"))
    if len(scopes) < n:
        for slug, year, kind, count in base.values_list("agency__slug", "year", "claim__kind").annotate(
            n=Count("id")
        ):
            scopes.append((count, f"agency={slug}&kind={kind}&made_after={year}&made_before={year}"))
    scopes.sort(key=lambda pair: (-pair[0], pair[1]))
    if len(scopes) < n:
        raise RuntimeError(f"only {len(scopes)} different scopes to brief on")
    return [query for _count, query in scopes[:n]]


def section_worker(args, result: dict) -> None:
    """A real `celery -A oversight worker`, as `make worker` runs it (the prefork pool, its child
    replaced after CELERY_WORKER_MAX_TASKS_PER_CHILD tasks) with one child, builds
    `--worker-briefings` briefings one after the other; the memory of the worker (main process and
    child) after each, kept at a few points and at its peak."""
    from django.conf import settings

    from agencies.briefings.services import briefing_request
    from agencies.models import Briefing, BriefingStatus, Claim

    folder = Path(os.environ["BENCH_WORKER_DIR"])
    recycle = settings.CELERY_WORKER_MAX_TASKS_PER_CHILD
    scopes = worker_scopes(args.worker_briefings)
    _delete_briefings()
    log = (folder / "worker.log").open("wb")
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "oversight",
        "worker",
        "--pool=prefork",
        "--concurrency=1",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"bench-{os.getpid()}@%h",
    ]
    worker = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        command, cwd=BASE_DIR, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT
    )
    result.update(
        {
            "claims_in_record": Claim.objects.count(),
            "pool": "prefork",
            "briefings": len(scopes),
            "memory_kib": {},
            "peak": None,
            "failed": 0,
            "ms": [],
            "recycle_every": recycle,
        }
    )
    try:
        for number, query in enumerate(scopes, start=1):
            t0 = time.perf_counter()
            briefing, published = briefing_request(actor=None, scope={"filter": query}, audience="public")
            if not published:
                raise RuntimeError("the briefing did not reach the worker queue")
            deadline = time.monotonic() + 600
            while True:
                status = Briefing.objects.filter(pk=briefing.pk).values_list("status", flat=True).get()
                if status in (BriefingStatus.SUCCEEDED, BriefingStatus.FAILED):
                    break
                if worker.poll() is not None:
                    raise RuntimeError(
                        f"the worker exited with {worker.returncode}: see {folder / 'worker.log'}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(f"briefing {briefing.pk} did not finish in 10 minutes")
                time.sleep(0.05)
            result["ms"].append((time.perf_counter() - t0) * 1000)
            result["failed"] += status == BriefingStatus.FAILED
            used = tree_memory_kib(worker.pid)
            if number in (1, 10, 50, recycle, len(scopes)):
                result["memory_kib"][str(number)] = used
            if result["peak"] is None or used > result["peak"]["kib"]:
                result["peak"] = {"after": number, "kib": used}
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
        log.close()
    _delete_briefings()
    shutil.rmtree(folder, ignore_errors=True)  # kept only when the section failed: its log says why


def section_reader(args, result: dict) -> None:
    """Every page a reader opens, each under its own time limit: bench.pages."""
    from bench.pages import section_reader as measure_reader

    measure_reader(args, result)


def section_load(args, result: dict) -> None:
    """The explorer served by gunicorn under 8 concurrent clients: bench.load."""
    from bench.load import section_load as measure_load

    measure_load(args, result)


def _failure(exc: BaseException, seconds: float) -> str:
    """What stopped a section: the error, after how long, and the project's line it was on."""
    project = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename.startswith(str(BASE_DIR / "agencies"))
    ]
    # The last few of the project's frames: where it was, and what it was building there.
    where = " < ".join(
        f"{Path(frame.filename).relative_to(BASE_DIR)}:{frame.lineno} ({frame.name})"
        for frame in reversed(project[-3:])
    )
    where = f" in {where}" if where else ""
    if isinstance(exc, MemoryError):
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        ceiling = f"the {limit / 2**30:g} GiB memory limit" if limit > 0 else "memory"
        return f"ran out of {ceiling} after {seconds:.0f} s{where}"
    return f"{type(exc).__name__}: {exc}"[:400] + f" (after {seconds:.0f} s{where})"


SECTIONS = {
    "pages": section_pages,
    "search": section_search,
    "import": section_import,
    "briefing": section_briefing,
    "worker": section_worker,
    "reader": section_reader,
    "load": section_load,
}
# Sections that publish to a broker of their own (a Redis server for the section's lifetime).
BROKERED = {"worker", "reader"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("section", choices=sorted(SECTIONS))
    parser.add_argument("--out", required=True, help="Where to write the section's raw numbers (JSON).")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--budget", type=float, default=120.0, help="Seconds after which runs stop repeating."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--import-claims", type=int, default=2000)
    parser.add_argument("--briefing-claims", type=int, default=200)
    parser.add_argument("--worker-briefings", type=int, default=100)
    parser.add_argument("--render-limit", type=float, default=900.0, help="Seconds one briefing may take.")
    parser.add_argument(
        "--max-html-mb", type=float, default=5.0, help="No PDF of a briefing whose HTML is larger than this."
    )
    parser.add_argument("--page-timeout", type=float, default=30.0, help="Seconds one page may take.")
    parser.add_argument(
        "--page-budget", type=float, default=3.0, help="Seconds after which one page stops repeating."
    )
    parser.add_argument("--small-db", help="reader: the 1,000-claim database, on the same server.")
    parser.add_argument("--load-seconds", type=float, default=20.0, help="Seconds the load runs for.")
    args = parser.parse_args(argv)

    redis = None
    result: dict = {}
    if args.section in BROKERED:
        folder = Path(tempfile.mkdtemp(prefix=f"oversight-bench-{args.section}-"))
        redis = RedisServer(folder)
        redis.start()
        # Set before Django reads its settings: this process publishes to the worker's Redis.
        os.environ["CELERY_BROKER_URL"] = redis.url
        os.environ["BENCH_WORKER_DIR"] = str(folder)
    started = time.monotonic()
    try:
        import django

        django.setup()
        from django.test.utils import override_settings

        override_settings(ROOT_URLCONF="bench.urls").enable()
        SECTIONS[args.section](args, result)
    except (Exception, TimeLimit) as exc:
        # What was measured before stays; the figures that need the rest say why they are empty.
        traceback.print_exc()
        result["missing"] = _failure(exc, time.monotonic() - started)
    finally:
        if redis is not None:
            redis.stop()
    Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
