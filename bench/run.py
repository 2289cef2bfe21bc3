"""`make bench`: load synthetic records into PostgreSQL, measure Oversight at SCALE claims, write
bench/results.json and print the table.

    python -m bench.run [--scale N] [--runs R] [--database-url URL] [--reuse] [--output PATH]

Three databases, named after DATABASE_URL's (default postgres://postgres@127.0.0.1:5432/oversight_bench):
NAME holds SCALE claims, NAME_small 1,000 (the base of every "at SCALE over at 1,000" ratio, and
the record the worker builds its 100 briefings from), NAME_import starts empty for the import
figures. Each is dropped, created, migrated and loaded by `manage.py generate_synthetic` unless
--reuse finds it already loaded with the same size and seed. Only databases whose name contains
"bench" are ever dropped: a DATABASE_URL naming another database gives that name plus "_bench".

Each section of the bench runs in its own process (bench.measure), under a time limit: one that
fails or runs out of time leaves its figures empty with a note, and the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.stats import (
    HIGHER,
    LOWER,
    Figure,
    format_table,
    median,
    median_ratio,
    pages_markdown,
    percentile,
    ratio,
    results_document,
)

BASE_DIR = Path(__file__).resolve().parent.parent
SECTIONS = ["pages", "load", "search", "import", "briefing", "worker", "intake"]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/oversight_bench"
SMALL = 1_000
# Seconds a section may take before it is stopped (its figures are then left empty, with a note).
SECTION_LIMITS = {
    "pages": 3600,
    "reader": 5400,
    "load": 600,
    "search": 1800,
    "import": 3600,
    "briefing": 5400,
    "worker": 3600,
    "intake": 600,
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Database:
    url: str
    name: str
    claims: int  # 0: migrated, left empty

    @property
    def comment(self) -> str:
        return f"oversight-bench claims={self.claims}"


def _with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def databases(url: str, scale: int) -> dict[str, Database]:
    """The bench's three databases. Their names always contain "bench": a DATABASE_URL naming
    another database (the project's own) gives its name plus "_bench", never that database."""
    name = urlsplit(url).path.lstrip("/") or "oversight"
    if "bench" not in name:
        name = f"{name}_bench"
        url = _with_name(url, name)
    return {
        "large": Database(url, name, scale),
        "small": Database(_with_name(url, f"{name}_small"), f"{name}_small", SMALL),
        "import": Database(_with_name(url, f"{name}_import"), f"{name}_import", 0),
    }


class Bench:
    def __init__(self, args):
        self.args = args
        self.folder = Path(tempfile.mkdtemp(prefix="oversight-bench-"))
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CELERY_", "BRIEFING_", "DJANGO_", "DATABASE_"))
        }
        self.env.update(
            {
                # The test settings give throwaway keys and plain HTTP; DEBUG stays off.
                "DJANGO_SETTINGS_MODULE": "oversight.test_settings",
                "DJANGO_DEBUG": "0",
                "DJANGO_HTTPS": "0",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
                "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
                "DJANGO_LOG_LEVEL": "WARNING",
                "OVERSIGHT_VAR_DIR": str(self.folder / "var"),
                "DJANGO_MEDIA_ROOT": str(self.folder / "media"),
                "PYTHONPATH": str(BASE_DIR),
            }
        )
        self.dbs = databases(args.database_url, args.scale)
        self.raw: dict[str, dict] = {}
        self.problems: dict[str, str] = {}
        self.load_seconds: float | None = None

    # --- databases -----------------------------------------------------------------------------------

    def _admin(self):
        import psycopg

        return psycopg.connect(_with_name(self.args.database_url, "postgres"), autocommit=True)

    def _loaded(self, db: Database) -> bool:
        with self._admin() as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [db.name]
            ).fetchone()
        return row is not None and row[0] == f"{db.comment} seed={self.args.seed}"

    def _manage(self, db: Database, *command: str, timeout: float | None = None) -> float:
        started = time.monotonic()
        subprocess.run(  # noqa: S603 - this interpreter and the project's manage.py
            [sys.executable, "manage.py", *command],
            cwd=BASE_DIR,
            env={**self.env, "DATABASE_URL": db.url},
            check=True,
            timeout=timeout,
        )
        return time.monotonic() - started

    def prepare(self, db: Database) -> None:
        if self.args.reuse and self._loaded(db):
            log(f"{db.name}: already holds {db.claims:,} claims (seed {self.args.seed}), kept")
            return
        from psycopg import sql

        log(f"{db.name}: recreating")
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db.name)))
        self._manage(db, "migrate", "--no-input", "-v0")
        if db.claims:
            log(f"{db.name}: generating {db.claims:,} claims")
            seconds = self._manage(
                db, "generate_synthetic", "--claims", str(db.claims), "--seed", str(self.args.seed)
            )
            if db is self.dbs["large"]:
                self.load_seconds = seconds
            log(f"{db.name}: loaded in {seconds:.0f} s")
        with self._admin() as conn:
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(db.name), sql.Literal(f"{db.comment} seed={self.args.seed}")
                )
            )

    # --- sections ------------------------------------------------------------------------------------

    def measure(
        self, key: str, section: str, db: Database, *extra: str, env: dict | None = None
    ) -> dict | None:
        out = self.folder / f"{key}.json"
        limit = SECTION_LIMITS[section]
        log(f"{key}: measuring on {db.name} (at most {limit // 60} min)")
        command = [
            sys.executable,
            "-m",
            "bench.measure",
            section,
            "--out",
            str(out),
            "--runs",
            str(self.args.runs),
            "--budget",
            str(self.args.budget),
            "--seed",
            str(self.args.seed),
            *extra,
        ]
        started = time.monotonic()
        memory = int(self.args.memory_gb * 2**30)

        def bounded() -> None:
            # A section that would take the machine's memory fails alone, with MemoryError.
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

        try:
            subprocess.run(  # noqa: S603 - this interpreter, the bench's own module
                command,
                cwd=BASE_DIR,
                env={**self.env, "DATABASE_URL": db.url, **(env or {})},
                check=True,
                timeout=limit,
                preexec_fn=bounded,  # this process starts no threads: preexec_fn is safe
            )
        except subprocess.TimeoutExpired:
            self.problems[key] = f"stopped after {limit // 60} minutes without finishing"
        except subprocess.CalledProcessError as exc:
            self.problems[key] = f"failed (exit status {exc.returncode}; its traceback is above)"
        else:
            self.raw[key] = json.loads(out.read_text())
            log(f"{key}: done in {time.monotonic() - started:.0f} s")
            return self.raw[key]
        log(f"{key}: {self.problems[key]}")
        return None

    def measure_intake(self) -> None:
        """The article proposer on the gold set (`make intake-eval`): no database, one run."""
        out = self.folder / "intake.json"
        try:
            subprocess.run(  # noqa: S603 - this interpreter and the project's manage.py
                [sys.executable, "manage.py", "intake_eval", "--json", str(out)],
                cwd=BASE_DIR,
                env=self.env,
                check=True,
                timeout=SECTION_LIMITS["intake"],
                stdout=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            self.problems["intake"] = (
                f"stopped after {SECTION_LIMITS['intake'] // 60} minutes without finishing"
            )
        except subprocess.CalledProcessError as exc:
            self.problems["intake"] = f"failed (exit status {exc.returncode}; its traceback is above)"
        else:
            self.raw["intake"] = json.loads(out.read_text())

    def run(self) -> dict:
        args = self.args
        for db in self.dbs.values():
            self.prepare(db)
        small, large = self.dbs["small"], self.dbs["large"]
        sections = set(args.only or SECTIONS)
        if "pages" in sections:
            self.measure("pages_small", "pages", small)
            self.measure("pages_large", "pages", large)
            limits = ["--page-timeout", str(args.page_timeout), "--page-budget", str(args.page_budget)]
            self.measure("reader", "reader", large, "--small-db", small.name, *limits)
        if "load" in sections:
            self.measure("load_small", "load", small, "--load-seconds", str(args.load_seconds))
            self.measure("load_large", "load", large, "--load-seconds", str(args.load_seconds))
        if "search" in sections:
            self.measure("search", "search", large)
        if "import" in sections:
            self.measure("import", "import", self.dbs["import"], "--import-claims", str(args.import_claims))
        if "briefing" in sections:
            limits = ["--render-limit", str(args.render_limit), "--max-html-mb", str(args.max_html_mb)]
            self.measure("briefing", "briefing", large, *limits)
            if _missing(self.raw, self.problems, "briefing"):
                # Still a figure for the briefing machinery itself, on a record it can brief on.
                self.measure("briefing_small", "briefing", small, *limits)
        if "worker" in sections:
            self.measure("worker", "worker", small, "--worker-briefings", str(args.worker_briefings))
        if "intake" in sections:
            self.measure_intake()
        run = {
            "scale": args.scale,
            "raw": self.raw,
            "problems": self.problems,
            "load_seconds": self.load_seconds,
            "meta": {
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "runs": args.runs,
                "seed": args.seed,
                "small_scale": SMALL,
                "cpus": os.cpu_count(),
                "postgres": self._server_version(),
                **_checkout(),
            },
        }
        # Everything measured, kept so that the report can be rebuilt without measuring again.
        (self.folder / "raw.json").write_text(json.dumps(run), encoding="utf-8")
        return report(run)

    def _server_version(self) -> str:
        with self._admin() as conn:
            return conn.execute("SHOW server_version").fetchone()[0]


# --- figures from the raw numbers --------------------------------------------------------------------


def _missing(raw: dict, problems: dict, key: str) -> str | None:
    """Why the section `key` gave no numbers, or None when it did."""
    if key in problems:
        return f"not measured: the {key} section {problems[key]}"
    if key not in raw:
        return f"not measured: the {key} section did not run"
    if "missing" in raw[key]:
        return f"not measured: {raw[key]['missing']}"
    return None


def _page_figures(name: str, raw: dict, problems: dict, scale: int) -> list[Figure]:
    why = _missing(raw, problems, "pages_small") or _missing(raw, problems, "pages_large")
    small = raw.get("pages_small", {}).get(name)
    large = raw.get("pages_large", {}).get(name)
    if why is None and (small is None or large is None or "missing" in small or "missing" in large):
        why = "not measured: " + (
            (small or {}).get("missing") or (large or {}).get("missing") or "no numbers"
        )
    if why is not None:
        return [
            Figure(f"{name}.queries_ratio", None, "ratio", 1.0, LOWER, note=why),
            Figure(f"{name}.ms_1000", None, "ms", note=why),
            Figure(f"{name}.ms", None, "ms", note=why),
        ]
    small_ms, large_ms = median(small["ms"]), median(large["ms"])
    return [
        Figure(
            f"{name}.queries_ratio",
            ratio(large["queries"], small["queries"]),
            "ratio",
            1.0,
            LOWER,
            note=f"{large['queries']} queries at {scale:,} claims, {small['queries']} at {SMALL:,}",
        ),
        Figure(f"{name}.ms_1000", small_ms, "ms", runs=len(small["ms"]), note=f"median at {SMALL:,} claims"),
        Figure(
            f"{name}.ms",
            large_ms,
            "ms",
            1.5 * small_ms,
            LOWER,
            runs=len(large["ms"]),
            note=f"median at {scale:,} claims; target 1.5 x the time at {SMALL:,}",
        ),
    ]


PAGE_MS = 500.0  # target: any reader page at SCALE, p50
PAGE_RATIO = 1.5  # target: a reader page at SCALE over the same page at 1,000 claims


def _reader_ms(entry: dict | None) -> tuple[float | None, str]:
    """A reader page's p50 ms, or why there is none; a page stopped at its time limit counts as the
    limit (a lower bound: the page misses its targets)."""
    if entry is None:
        return None, "not measured at this size"
    if "missing" in entry:
        return None, f"not measured: {entry['missing']}"
    if "timeout_ms" in entry:
        return entry["timeout_ms"], f"more than {entry['timeout_ms']:,.0f} ms (stopped at the time limit)"
    return percentile(entry["ms"], 50), ""


def reader_figures(raw: dict, problems: dict, scale: int) -> list[Figure]:
    """page.NAME.ms and page.NAME.ratio for every reader page measured (rows_per_s for an export), and
    the worst ratio and the slowest page at SCALE, each naming its page."""
    why = _missing(raw, problems, "reader")
    if why is not None:
        return [
            Figure("pages.worst_ratio", None, "ratio", PAGE_RATIO, LOWER, note=why),
            Figure("pages.worst_ms", None, "ms", PAGE_MS, LOWER, note=why),
        ]
    small, large = raw["reader"]["small"]["pages"], raw["reader"]["large"]["pages"]
    names = [*large, *(name for name in small if name not in large)]
    figures: list[Figure] = []
    ratios: dict[str, tuple[float, float, float]] = {}
    slowest: dict[str, float] = {}
    unmeasured = []
    for name in names:
        small_ms, small_why = _reader_ms(small.get(name))
        large_ms, large_why = _reader_ms(large.get(name))
        runs = len(large.get(name, {}).get("ms", [])) or None
        at_small = small_why or f"{small_ms:,.0f} ms"
        figures.append(
            Figure(
                f"page.{name}.ms",
                large_ms,
                "ms",
                PAGE_MS,
                LOWER,
                runs=runs,
                note=large_why or f"p50 at {scale:,} claims; at {SMALL:,}: {at_small}",
            )
        )
        if large_ms is None:
            unmeasured.append(name)
        else:
            slowest[name] = large_ms
        value = None if small_why else ratio(large_ms, small_ms)
        if value is not None:
            ratios[name] = (value, large_ms, small_ms)
        figures.append(
            Figure(
                f"page.{name}.ratio",
                value,
                "ratio",
                PAGE_RATIO,
                LOWER,
                note=(f"at {SMALL:,} claims {small_why}" if small_why else "")
                or large_why
                or f"{large_ms:,.0f} ms at {scale:,} claims over {small_ms:,.0f} ms at {SMALL:,}",
            )
        )
        if "rows" in large.get(name, {}) and "rows" in small.get(name, {}):
            speeds = {
                size: median(n / (ms / 1000) for n, ms in zip(entry["rows"], entry["read_ms"], strict=True))
                for size, entry in (("large", large[name]), ("small", small[name]))
            }
            figures.append(
                Figure(
                    f"page.{name}.rows_per_s",
                    speeds["large"],
                    "rows/s",
                    runs=runs,
                    note=f"claim rows streamed per second, from the request, over at most "
                    f"{max(large[name]['read_ms']) / 1000:.0f} s; {speeds['small']:,.0f} rows/s at {SMALL:,}",
                )
            )
    left = f"; {len(unmeasured)} pages not measured ({', '.join(unmeasured)})" if unmeasured else ""
    if ratios:
        name, (value, large_ms, small_ms) = max(ratios.items(), key=lambda item: item[1][0])
        over = sum(r > PAGE_RATIO for r, _l, _s in ratios.values())
        figures.append(
            Figure(
                "pages.worst_ratio",
                value,
                "ratio",
                PAGE_RATIO,
                LOWER,
                note=f"page.{name}: {large_ms:,.0f} ms at {scale:,} claims over {small_ms:,.0f} ms at "
                f"{SMALL:,}; {over} of {len(ratios)} pages over {PAGE_RATIO:g}{left}",
            )
        )
    else:
        figures.append(Figure("pages.worst_ratio", None, "ratio", PAGE_RATIO, LOWER, note="no page measured"))
    if slowest:
        name = max(slowest, key=slowest.get)
        over = sum(ms > PAGE_MS for ms in slowest.values())
        figures.append(
            Figure(
                "pages.worst_ms",
                slowest[name],
                "ms",
                PAGE_MS,
                LOWER,
                note=f"page.{name} at {scale:,} claims"
                + (" (stopped at the time limit)" if "timeout_ms" in large[name] else "")
                + f"; {over} of {len(slowest)} pages over {PAGE_MS:,.0f} ms{left}",
            )
        )
    else:
        figures.append(Figure("pages.worst_ms", None, "ms", PAGE_MS, LOWER, note="no page measured"))
    return figures


def load_figures(raw: dict, problems: dict, scale: int) -> list[Figure]:
    """The explorer under gunicorn and 8 clients: requests/s at SCALE over at 1,000, and p99 at SCALE."""
    why = _missing(raw, problems, "load_small") or _missing(raw, problems, "load_large")
    if why is not None:
        return [
            Figure("load.explorer_rps_ratio", None, "ratio", 0.8, HIGHER, note=why),
            Figure("load.explorer_p99_ms", None, "ms", 1000.0, LOWER, note=why),
        ]
    small, large = raw["load_small"], raw["load_large"]
    errors = ""
    for size, data in ((f"{scale:,}", large), (f"{SMALL:,}", small)):
        if data["non_2xx"] or data["socket_errors"]:
            errors += (
                f"; at {size} claims {data['non_2xx']} answers not 2xx or 3xx, "
                f"{data['socket_errors']} socket errors"
            )
    how = " ".join(["gunicorn", *large.get("gunicorn", [])])
    return [
        Figure(
            "load.explorer_rps_ratio",
            ratio(large["rps"], small["rps"]),
            "ratio",
            0.8,
            HIGHER,
            note=f"{large['rps']:.1f} requests/s at {scale:,} claims over {small['rps']:.1f} at {SMALL:,}: "
            f"{how}, wrk with {large['connections']} connections for {large['seconds']:.0f} s{errors}",
        ),
        Figure(
            "load.explorer_p99_ms",
            large["latency_ms"].get("p99"),
            "ms",
            1000.0,
            LOWER,
            note=f"p99 of {large['requests']:,} requests at {scale:,} claims (p50 "
            f"{large['latency_ms'].get('p50', 0):,.0f} ms); at {SMALL:,}: p99 "
            f"{small['latency_ms'].get('p99', 0):,.0f} ms",
        ),
    ]


def _briefing_figures(
    raw: dict, problems: dict, key: str, suffix: str, claims_in_record: int
) -> list[Figure]:
    why = _missing(raw, problems, key)
    where = f" in a record of {claims_in_record:,} claims"
    if why is not None:
        why = f"at {claims_in_record:,} claims, {why}"
        return [
            Figure(f"briefing.ratio_to_weasyprint{suffix}", None, "ratio", 1.2, LOWER, note=why),
            Figure(f"briefing.linearity{suffix}", None, "ratio", 1.3, LOWER, note=why),
        ]
    data = raw[key]
    runs = len(data["request_ms"])
    claims = data["claims"]
    return [
        Figure(
            f"briefing.ratio_to_weasyprint{suffix}",
            median_ratio(zip(data["request_ms"], data["weasyprint_ms"], strict=True)),
            "ratio",
            1.2,
            LOWER,
            runs=runs,
            note=f"{claims['whole']} claims{where}, {data.get('pages')} pages: request to stored PDF "
            f"{median(data['request_ms']):,.0f} ms, "
            f"WeasyPrint alone {median(data['weasyprint_ms']):,.0f} ms",
        ),
        Figure(
            f"briefing.linearity{suffix}",
            median_ratio(zip(data["whole_ms"], data["years_ms"], strict=True)),
            "ratio",
            1.3,
            LOWER,
            runs=runs,
            note=f"one briefing of {claims['whole']} claims ({median(data['whole_ms']):,.0f} ms) "
            f"over ten of a year each ({'+'.join(str(n) for n in claims['years'])} claims, "
            f"{median(data['years_ms']):,.0f} ms in all)",
        ),
    ]


def build_figures(raw: dict, problems: dict, *, scale: int, load_seconds: float | None) -> list[Figure]:
    figures: list[Figure] = []
    if load_seconds is not None:
        figures.append(
            Figure(
                "generate.claims_per_s",
                scale / load_seconds,
                "claims/s",
                note=f"generate_synthetic loaded {scale:,} claims in {load_seconds:.0f} s "
                "(COPY, then ANALYZE)",
            )
        )

    figures += _page_figures("changelist", raw, problems, scale)
    why = _missing(raw, problems, "pages_large")
    if why is None:
        large = raw["pages_large"]
        pairs = list(zip(large["changelist"]["ms"], large["stock"]["ms"], strict=False))
        figures.append(
            Figure(
                "changelist.vs_stock",
                median_ratio(pairs),
                "ratio",
                1.0,
                LOWER,
                runs=len(pairs),
                note=f"Oversight's claim changelist over a stock ModelAdmin's at {scale:,} claims "
                f"(stock: {median(large['stock']['ms']):.0f} ms, {large['stock']['queries']} queries)",
            )
        )
    else:
        figures.append(Figure("changelist.vs_stock", None, "ratio", 1.0, LOWER, note=why))
    figures += _page_figures("explorer", raw, problems, scale)
    if "reader" in raw or "reader" in problems:
        figures += reader_figures(raw, problems, scale)
    if any(key in raw or key in problems for key in ("load_small", "load_large")):
        figures += load_figures(raw, problems, scale)

    why = _missing(raw, problems, "search")
    if why is None:
        search = raw["search"]
        indexes = sorted(
            {index for plan in search["plans"] for index in plan["indexes"] if "search" in index}
        )
        scans = sorted({table for plan in search["plans"] for table in plan["seq_scans"]})
        used = ", ".join(indexes) or "no search index"
        note = f"'{search['term']}' ({search['matches']} claims); the plans use {used}"
        if scans:
            note += f"; sequential scans on {', '.join(scans)}"
        figures.append(
            Figure(
                "search.ms",
                percentile(search["ms"], 50),
                "ms",
                100.0,
                LOWER,
                runs=len(search["ms"]),
                note=note,
            )
        )
    else:
        figures.append(Figure("search.ms", None, "ms", 100.0, LOWER, note=why))

    why = _missing(raw, problems, "import")
    if why is None:
        data = raw["import"]
        speeds = {
            name: [
                records / (ms / 1000)
                for records, ms in zip(data[name]["records"], data[name]["ms"], strict=True)
            ]
            for name in ("importer", "loaddata", "copy")
        }
        runs = len(speeds["importer"])
        note = f"{data['records']:,} rows ({data['claims']:,} claims), into an empty record"
        figures += [
            Figure("import.records_per_s", median(speeds["importer"]), "records/s", runs=runs, note=note),
            Figure(
                "import.vs_loaddata",
                median_ratio(zip(speeds["importer"], speeds["loaddata"], strict=True)),
                "ratio",
                20.0,
                HIGHER,
                runs=runs,
                note=f"loaddata: {median(speeds['loaddata']):,.0f} records/s",
            ),
            Figure(
                "import.vs_copy",
                median_ratio(zip(speeds["importer"], speeds["copy"], strict=True)),
                "ratio",
                0.2,
                HIGHER,
                runs=runs,
                note=f"COPY: {median(speeds['copy']):,.0f} records/s",
            ),
        ]
    else:
        figures += [
            Figure("import.records_per_s", None, "records/s", note=why),
            Figure("import.vs_loaddata", None, "ratio", 20.0, HIGHER, note=why),
            Figure("import.vs_copy", None, "ratio", 0.2, HIGHER, note=why),
        ]

    figures += _briefing_figures(raw, problems, "briefing", "", scale)
    if "briefing_small" in raw or "briefing_small" in problems:
        figures += _briefing_figures(raw, problems, "briefing_small", "_1000", SMALL)

    why = _missing(raw, problems, "worker")
    if why is None:
        data = raw["worker"]
        used, peak = data["memory_kib"], data["peak"]
        last = str(data["briefings"])
        figures.append(
            Figure(
                f"worker.memory_ratio_{last}_to_1",
                # The peak over the run, not only the last reading: a child just replaced would
                # make the last one look better than the worker ever was.
                ratio(max(peak["kib"], used[last]), used["1"]),
                "ratio",
                1.2,
                LOWER,
                runs=1,
                note=f"a real `celery -A oversight worker` (prefork, one child replaced every "
                f"{data['recycle_every']} tasks) on the {data['claims_in_record']:,}-claim record, "
                f"main process and child (PSS): {used['1'] / 1024:.0f} MiB after 1 briefing, "
                + ", ".join(f"{int(v) / 1024:.0f} MiB after {k}" for k, v in used.items() if k != "1")
                + f"; peak {peak['kib'] / 1024:.0f} MiB after {peak['after']}"
                + (f"; {data['failed']} failed" if data["failed"] else ""),
            )
        )
    else:
        figures.append(Figure("worker.memory_ratio_100_to_1", None, "ratio", 1.2, LOWER, note=why))
    if "intake" in raw or "intake" in problems:
        figures += _intake_figures(raw, problems)
    return figures


def _intake_figures(raw: dict, problems: dict) -> list[Figure]:
    """Precision and recall of the article proposer: held-out articles against the targets
    (recall 0.9, precision 0.85), tuned ones for reference."""
    why = _missing(raw, problems, "intake")
    data = raw.get("intake", {})
    kinds = ("sources", "quotes", "figures", "cited_reports", "agencies", "missions", "comment_requests")
    out = []
    for split in ("held_out", "tuned"):
        for kind in (None, *kinds):
            for measure, target in (("precision", 0.85), ("recall", 0.9)):
                name = f"intake.{split}.{measure}" if kind is None else f"intake.{split}.{kind}.{measure}"
                value = None if why else data.get(name)
                note = why or (
                    "gold articles never used for tuning" if split == "held_out" else "gold articles tuned on"
                )
                if split == "held_out":
                    out.append(Figure(name, value, "ratio", target, HIGHER, runs=1, note=note))
                elif kind is None:
                    out.append(Figure(name, value, "ratio", runs=1, note=note))
    return out


def _checkout() -> dict:
    """Which code was measured: the commit, and the files changed since (other work in the tree)."""
    try:
        commit = subprocess.run(  # noqa: S603 - a fixed git command line
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, as make does
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=True,  # noqa: S607
        ).stdout.strip()
        changed = subprocess.run(  # noqa: S603
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {"commit": commit, "changed_files": sorted(line[3:] for line in changed)}


def report(run: dict) -> dict:
    """results.json from a run's raw numbers (what Bench.run measured, or a raw.json it kept)."""
    figures = build_figures(run["raw"], run["problems"], scale=run["scale"], load_seconds=run["load_seconds"])
    return results_document(run["scale"], figures, {**run["meta"], "details": details(run["raw"])})


def details(raw: dict) -> dict:
    """What explains the figures: the slowest queries of each page, the search plans, scopes, RSS."""
    out: dict = {}
    for key in ("pages_small", "pages_large"):
        if key in raw:
            out[key] = {
                name: {"queries": page["queries"], "slowest": page["slowest"], "ms": page["ms"]}
                for name, page in raw[key].items()
                if isinstance(page, dict) and "queries" in page
            }
    for size in ("small", "large"):
        if "pages" in raw.get("reader", {}).get(size, {}):
            data = raw["reader"][size]
            out[f"reader_{size}"] = {
                "record": data.get("record"),
                "pages": {
                    name: {
                        k: page[k]
                        for k in ("url", "queries", "slowest", "ms", "timeout_ms", "missing")
                        if k in page
                    }
                    for name, page in data["pages"].items()
                },
            }
    for key in ("load_small", "load_large"):
        if "report" in raw.get(key, {}):
            out[key] = {"url": raw[key]["url"], "report": raw[key]["report"]}
    if "search" in raw and "plans" in raw["search"]:
        out["search_plans"] = [plan["plan"] for plan in raw["search"]["plans"]]
    for key in ("briefing", "briefing_small"):
        if key in raw:
            kept = ("scope", "claims", "claims_in_record", "pages", "probe", "missing")
            out[key] = {k: raw[key][k] for k in kept if k in raw[key]}
    if "worker" in raw and "memory_kib" in raw["worker"]:
        kept = ("memory_kib", "peak", "failed", "briefings", "pool", "recycle_every")
        out["worker"] = {k: raw["worker"][k] for k in kept if k in raw["worker"]}
        out["worker"]["median_ms"] = median(raw["worker"]["ms"]) if raw["worker"]["ms"] else None
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=int, default=1_000_000, help="Claims in the record measured (default a million)."
    )
    parser.add_argument("--runs", type=int, default=5, help="Runs each figure is the median of (default 5).")
    parser.add_argument(
        "--budget", type=float, default=300.0, help="Seconds after which a measurement stops repeating."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--output", default=str(BASE_DIR / "bench" / "results.json"))
    parser.add_argument(
        "--reuse", action="store_true", help="Keep databases already loaded with the same size and seed."
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS)
    parser.add_argument("--import-claims", type=int, default=2000)
    parser.add_argument("--worker-briefings", type=int, default=100)
    parser.add_argument("--render-limit", type=float, default=900.0, help="Seconds one briefing may take.")
    parser.add_argument(
        "--max-html-mb", type=float, default=5.0, help="No PDF of a briefing whose HTML is larger (MB)."
    )
    parser.add_argument(
        "--page-timeout", type=float, default=30.0, help="Seconds one reader page may take (default 30)."
    )
    parser.add_argument(
        "--page-budget", type=float, default=3.0, help="Seconds after which a page stops at 3 runs."
    )
    parser.add_argument(
        "--load-seconds", type=float, default=20.0, help="Seconds the explorer is under load (default 20)."
    )
    parser.add_argument(
        "--memory-gb", type=float, default=8.0, help="Memory each measuring process may use (GiB)."
    )
    parser.add_argument(
        "--rebuild",
        metavar="RAW_JSON",
        help="Write results.json and the table from the raw.json an earlier run kept; measure nothing.",
    )
    parser.add_argument(
        "--pages-table",
        metavar="RESULTS_JSON",
        help="Print the reader pages of a results.json as the README's Markdown table; measure nothing.",
    )
    args = parser.parse_args(argv)
    if args.pages_table:
        print(pages_markdown(json.loads(Path(args.pages_table).read_text(encoding="utf-8"))))
        return 0
    if args.rebuild:
        run = json.loads(Path(args.rebuild).read_text(encoding="utf-8"))
        document = report(run)
        Path(args.output).write_text(
            json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(format_table(document))
        return 0
    if args.scale < SMALL:
        parser.error(f"--scale must be at least {SMALL:,}: ratios compare it with {SMALL:,} claims")
    started = time.monotonic()
    bench = Bench(args)
    try:
        document = bench.run()
        document["meta"]["seconds"] = round(time.monotonic() - started)
        output = Path(args.output)
        output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        # The raw numbers next to it (git-ignored): `--rebuild` makes the report again from them.
        raw = json.loads((bench.folder / "raw.json").read_text(encoding="utf-8"))
        raw["meta"]["seconds"] = document["meta"]["seconds"]
        output.with_name(f"{output.stem}-raw.json").write_text(json.dumps(raw), encoding="utf-8")
    finally:
        shutil.rmtree(bench.folder, ignore_errors=True)
    print(format_table(document))
    log(f"wrote {output} in {document['meta']['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
