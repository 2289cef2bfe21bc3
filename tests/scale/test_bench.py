"""The bench's pure parts (medians, ratios, figures, results.json, the table) and its Django-side helpers
on a small synthetic record."""

import json
import time
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import override_settings

from bench import measure
from bench.run import build_figures, databases, main, report
from bench.stats import (
    HIGHER,
    LOWER,
    Figure,
    format_table,
    median,
    median_ratio,
    percentile,
    ratio,
    results_document,
    validate_results,
)

# --- arithmetic ------------------------------------------------------------------------------------------


def test_median_of_odd_and_even_counts():
    assert median([5, 1, 3]) == 3
    assert median([4, 1, 3, 2]) == 2.5
    with pytest.raises(ValueError):
        median([])


def test_percentile_interpolates_and_p50_is_the_median():
    values = [10, 20, 30, 40]
    assert percentile(values, 50) == median(values) == 25
    assert percentile(values, 0) == 10 and percentile(values, 100) == 40
    assert percentile(values, 90) == pytest.approx(37)
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_ratio_and_the_median_of_ratios_within_runs():
    assert ratio(3, 2) == 1.5
    assert ratio(None, 2) is None and ratio(3, 0) is None
    # Run-to-run drift cancels inside each pair: the machine got twice as slow in the second run.
    assert median_ratio([(100, 50), (200, 100), (330, 100)]) == 2.0
    assert median_ratio([(1, 0)]) is None


def test_a_figure_against_its_target():
    assert Figure("a", 0.9, "ratio", 1.0, LOWER).verdict == "ok"
    missed = Figure("a", 1.5, "ratio", 1.0, LOWER)
    assert missed.verdict == "MISS" and missed.off_by == 1.5
    assert Figure("b", 25, "ratio", 20, HIGHER).verdict == "ok"
    low = Figure("b", 5, "ratio", 20, HIGHER)
    assert low.verdict == "MISS" and low.off_by == 4
    assert Figure("c", 12.0, "ms").verdict == ""
    assert Figure("d", None, "ms", 100.0, note="not measured").verdict == "n/a"
    with pytest.raises(ValueError):
        Figure("e", 1, "ms", 1, better="sideways")


# --- results.json and the table ---------------------------------------------------------------------------


def figures():
    return [
        Figure("changelist.queries_ratio", 1.0, "ratio", 1.0, LOWER, note="9 queries at both sizes"),
        Figure("search.ms", 140.123456, "ms", 100.0, LOWER, runs=11),
        Figure("import.vs_loaddata", 5.2, "ratio", 20.0, HIGHER, runs=5),
        Figure("import.records_per_s", 7717.3, "records/s"),
        Figure("explorer.ms", None, "ms", 150.0, LOWER, note="not measured: no /claims/ page"),
    ]


def test_results_have_the_shape_the_issue_gives():
    document = results_document(1_000_000, figures(), {"runs": 5})
    assert document["scale"] == 1_000_000
    assert set(document["figures"]) == {f.name for f in figures()}
    for figure in document["figures"].values():
        assert {"value", "unit", "target"} <= set(figure)
    assert document["figures"]["search.ms"] == {
        "value": 140.1,
        "unit": "ms",
        "target": 100.0,
        "better": "lower",
        "runs": 11,
    }
    assert document["figures"]["import.records_per_s"]["target"] is None
    assert json.loads(json.dumps(document)) == document


@pytest.mark.parametrize(
    "broken, message",
    [
        ({"figures": {"a": {"value": 1, "unit": "ms", "target": None}}}, "scale"),
        ({"scale": 10, "figures": {}}, "non-empty"),
        ({"scale": 10, "figures": {"a": {"value": 1, "unit": "ms"}}}, "lacks target"),
        ({"scale": 10, "figures": {"a": {"value": "1", "unit": "ms", "target": None}}}, "number"),
        ({"scale": 10, "figures": {"a": {"value": 1, "unit": "ms", "target": 2}}}, "better"),
        ({"scale": 10, "figures": {"a": {"value": None, "unit": "ms", "target": None}}}, "note"),
        ({"scale": 10, "figures": {"a": {"value": 1, "unit": "", "target": None}}}, "unit"),
    ],
)
def test_results_of_the_wrong_shape_are_refused(broken, message):
    with pytest.raises(ValueError, match=message):
        validate_results(broken)


def test_a_figure_named_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        results_document(10, [Figure("a", 1, "ms"), Figure("a", 2, "ms")])


def test_the_table_shows_values_targets_verdicts_and_notes():
    table = format_table(results_document(20_000, figures()))
    lines = table.splitlines()
    assert lines[0] == "Oversight bench at 20,000 claims"
    search = next(line for line in lines if line.startswith("search.ms"))
    assert "140" in search and "≤ 100" in search and search.endswith("MISS")
    assert next(line for line in lines if line.startswith("import.vs_loaddata")).endswith("MISS")
    assert "≥ 20" in table
    assert next(line for line in lines if line.startswith("changelist.queries_ratio")).endswith("ok")
    assert next(line for line in lines if line.startswith("explorer.ms")).endswith("n/a")
    assert "  explorer.ms: not measured: no /claims/ page" in lines


# --- figures from raw section numbers ---------------------------------------------------------------------


def raw_sections():
    page = {"queries": 9, "ms": [50, 60, 55], "slowest": []}
    return {
        "pages_small": {"changelist": page, "stock": page, "explorer": {**page, "queries": 10}},
        "pages_large": {
            "changelist": {**page, "ms": [80, 90, 100]},
            "stock": {**page, "queries": 5, "ms": [40, 90, 50]},
            "explorer": {"missing": "there is no /claims/ page in this checkout"},
        },
        "search": {"term": "Kestorine", "matches": 3, "ms": [90, 110, 95], "plans": []},
        "import": {
            "claims": 100,
            "records": 1000,
            "importer": {"ms": [1000, 500], "records": [1000, 1000]},
            "loaddata": {"ms": [4000, 3000], "records": [1000, 1000]},
            "copy": {"ms": [100, 100], "records": [1000, 1000]},
        },
        "briefing": {"missing": "MemoryError: "},
        "worker": {
            "claims_in_record": 1000,
            "briefings": 100,
            "memory_kib": {"1": 200_000, "10": 210_000, "50": 230_000, "100": 220_000},
            "peak": {"after": 50, "kib": 260_000},
            "recycle_every": 50,
            "failed": 0,
            "ms": [1000],
        },
    }


def test_figures_are_built_from_the_sections_numbers():
    built = {f.name: f for f in build_figures(raw_sections(), {}, scale=1_000_000, load_seconds=100.0)}
    assert built["generate.claims_per_s"].value == 10_000
    assert built["changelist.queries_ratio"].value == 1.0
    assert built["changelist.ms"].value == 90 and built["changelist.ms"].target == 1.5 * 55
    assert built["changelist.vs_stock"].value == 2.0  # per run: 80/40, 90/90, 100/50
    assert built["explorer.ms"].value is None and "no /claims/ page" in built["explorer.ms"].note
    assert built["search.ms"].value == 95 and built["search.ms"].runs == 3
    assert built["import.vs_loaddata"].value == pytest.approx(5.0)  # (4 + 6) / 2
    assert built["import.vs_copy"].value == pytest.approx(0.15)  # (0.1 + 0.2) / 2
    assert built["briefing.ratio_to_weasyprint"].value is None
    assert "MemoryError" in built["briefing.linearity"].note
    worker = built["worker.memory_ratio_100_to_1"]
    # The peak, not the last reading (the child was just replaced): 260,000 / 200,000.
    assert worker.value == 1.3 and "every 50 tasks" in worker.note and "peak 254 MiB after 50" in worker.note
    results_document(1_000_000, list(built.values()))  # valid as a whole


def test_a_section_that_failed_leaves_its_figures_empty_with_the_reason():
    raw = raw_sections()
    del raw["import"]
    built = {
        f.name: f
        for f in build_figures(raw, {"import": "stopped after 60 minutes"}, scale=10_000, load_seconds=None)
    }
    assert "generate.claims_per_s" not in built
    assert built["import.vs_copy"].value is None
    assert "stopped after 60 minutes" in built["import.vs_copy"].note


def test_the_report_is_rebuilt_from_a_runs_raw_numbers(tmp_path, capsys):
    run = {
        "scale": 1_000_000,
        "raw": raw_sections(),
        "problems": {},
        "load_seconds": 125.0,
        "meta": {"runs": 3},
    }
    document = report(run)
    assert document["meta"]["runs"] == 3
    assert document["meta"]["details"]["worker"]["memory_kib"]["100"] == 220_000
    assert document["meta"]["details"]["briefing"] == {"missing": "MemoryError: "}
    (tmp_path / "raw.json").write_text(json.dumps(run))
    output = tmp_path / "results.json"
    assert main(["--rebuild", str(tmp_path / "raw.json"), "--output", str(output)]) == 0
    assert json.loads(output.read_text()) == document
    assert "Oversight bench at 1,000,000 claims" in capsys.readouterr().out


def test_only_bench_databases_are_ever_recreated():
    named = databases("postgres://u@h:5432/oversight_bench", 20_000)
    assert [db.name for db in named.values()] == [
        "oversight_bench",
        "oversight_bench_small",
        "oversight_bench_import",
    ]
    assert named["small"].url == "postgres://u@h:5432/oversight_bench_small"
    # The project's own database is never the bench's: the bench uses a name of its own.
    own = databases("postgres://u@h:5432/oversight", 20_000)
    assert [db.name for db in own.values()] == [
        "oversight_bench",
        "oversight_bench_small",
        "oversight_bench_import",
    ]
    assert own["large"].url == "postgres://u@h:5432/oversight_bench"


# --- measuring helpers ------------------------------------------------------------------------------------


def test_repeat_stops_once_the_budget_is_spent():
    assert len(measure.repeat(lambda: None, 4, budget=10)) == 4
    assert len(measure.repeat(lambda: time.sleep(0.02), 10, budget=0.01)) == 1


def test_a_time_limit_interrupts_a_block():
    with pytest.raises(measure.TimeLimit), measure.time_limit(0.05):
        time.sleep(1)
    with measure.time_limit(5):
        pass


@pytest.fixture
def small_record(db):
    from agencies.exchange.synthetic import record_load

    record_load(claims=400, seed=3, progress_stream=None)


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_pages_section_reads_the_changelist_the_stock_admin_and_the_explorer(small_record):
    result = {}
    measure.section_pages(SimpleNamespace(runs=2, budget=60), result)
    assert result["claims"] == 400
    for name in ("changelist", "stock"):
        assert result[name]["queries"] > 0 and len(result[name]["ms"]) == 2
        plan = result[name]["slowest"][0]["plan"]  # the planner's word on the slowest query
        assert ("Scan" in plan) if connection.vendor == "postgresql" else plan == ""
    assert "explorer" in result  # measured, or missing with the reason


def test_briefing_scopes_are_ten_disjoint_years_adding_up_to_the_whole(small_record):
    whole, years, counts = measure.briefing_scopes(60)
    assert "made_after=2016&made_before=2025" in whole
    assert len(years) == 10 and all(query.startswith(whole.split("&made_after")[0]) for query in years)
    assert sum(counts["years"]) == counts["whole"] > 0


def test_a_failure_names_the_projects_line_it_stopped_on():
    from agencies.core.dates import PartialDate

    try:
        PartialDate.parse("May 2025")
    except ValueError as exc:
        note = measure._failure(exc, 3.2)
    assert note.startswith("PartialDateError: expected a date")
    assert "after 3 s in agencies/core/dates.py:" in note and "(parse)" in note


# --- every reader page ------------------------------------------------------------------------------------


def reader_raw():
    def page(*ms, **extra):
        return {"url": "/x/", "queries": 5, "slowest": [], "ms": list(ms), **extra}

    small = {
        "claims": page(40, 50, 60),
        "claims.q_rare": page(20, 20, 20),
        "admin.agencies.claim": page(100, 110, 90),
        "admin.agencies.claim.status": page(100, 100, 100),
        "admin.axes.accesslog.path_info": {
            "url": "/y/",
            "missing": "the filter offers no choice in this record",
        },
        "claims.export_csv": page(300, 200, 100, rows=[1000, 1000, 1000], read_ms=[2000, 1000, 500]),
    }
    large = {
        "claims": page(60, 75, 90),  # p50 75 over 50: 1.5
        "claims.q_rare": page(19, 21, 20),  # 1.0
        "admin.agencies.claim": page(400, 440, 360),  # 4.0: the worst ratio
        "admin.agencies.claim.status": {"url": "/z/", "timeout_ms": 30000.0},  # the slowest
        "admin.axes.accesslog.path_info": {
            "url": "/y/",
            "missing": "the filter offers no choice in this record",
        },
        "claims.export_csv": page(400, 300, 200, rows=[5000, 5000, 5000], read_ms=[10000, 10000, 5000]),
    }
    return {"reader": {"small": {"pages": small}, "large": {"pages": large}}}


def test_reader_figures_give_each_page_its_p50_and_ratio_and_name_the_worst():
    from bench.run import reader_figures

    built = {f.name: f for f in reader_figures(reader_raw(), {}, scale=20_000)}
    assert built["page.claims.ms"].value == 75 and built["page.claims.ms"].runs == 3
    assert built["page.claims.ratio"].value == 1.5 and built["page.claims.ratio"].verdict == "ok"
    assert built["page.claims.q_rare.ratio"].value == 1.0
    assert built["page.admin.agencies.claim.ms"].verdict == "ok"  # 400 ms: within 500
    assert built["page.admin.agencies.claim.ratio"].value == 4.0
    assert built["page.admin.agencies.claim.ratio"].verdict == "MISS"
    # A page stopped at its time limit counts as the limit, and misses.
    stopped = built["page.admin.agencies.claim.status.ms"]
    assert stopped.value == 30000 and stopped.verdict == "MISS" and "more than 30,000 ms" in stopped.note
    assert built["page.admin.agencies.claim.status.ratio"].value == 300
    missing = built["page.admin.axes.accesslog.path_info.ms"]
    assert missing.value is None and "offers no choice" in missing.note
    # The export: time to the first row, and rows per second as a figure of its own.
    assert built["page.claims.export_csv.ms"].value == 300
    assert built["page.claims.export_csv.rows_per_s"].value == 500  # 5000 rows in 10 s, twice out of three
    assert "1,000 rows/s at 1,000" in built["page.claims.export_csv.rows_per_s"].note
    worst = built["pages.worst_ratio"]
    assert worst.value == 300 and worst.note.startswith("page.admin.agencies.claim.status:")
    assert "1 pages not measured (admin.axes.accesslog.path_info)" in worst.note
    slowest = built["pages.worst_ms"]
    assert slowest.value == 30000 and slowest.verdict == "MISS"
    assert slowest.note.startswith(
        "page.admin.agencies.claim.status at 20,000 claims (stopped at the time limit)"
    )
    assert "1 of 5 pages over 500 ms" in slowest.note
    results_document(20_000, list(built.values()))  # valid as a whole


def test_without_the_reader_sections_the_worst_figures_say_why():
    from bench.run import reader_figures

    raw = {"reader": {"missing": "ProgrammingError: no such table (after 3 s)"}}
    problems = {}
    built = {f.name: f for f in reader_figures(raw, problems, scale=20_000)}
    assert set(built) == {"pages.worst_ratio", "pages.worst_ms"}
    assert "no such table" in built["pages.worst_ms"].note
    stopped = {f.name: f for f in reader_figures({}, {"reader": "stopped after 90 minutes"}, scale=20_000)}
    assert "stopped after 90 minutes" in stopped["pages.worst_ratio"].note


def test_a_page_past_its_time_limit_is_recorded_as_more_than_the_limit(monkeypatch, db):
    from bench.pages import Page, measure_page

    class Slow:
        def get(self, url):
            time.sleep(2)

    class Quick:
        def get(self, url):
            return SimpleNamespace(status_code=200)

    monkeypatch.setattr(connection, "close", lambda: None)  # the test's transaction stays open
    page = Page("slow", "/slow/")
    assert measure_page(Slow(), page, runs=3, budget=10, timeout=0.1) == {
        "url": "/slow/",
        "method": "GET",
        "timeout_ms": 100.0,
    }
    quick = measure_page(Quick(), page, runs=4, budget=10, timeout=5)
    assert len(quick["ms"]) == 4 and quick["queries"] == 0
    assert (
        measure_page(Quick(), Page("n", "/n/", missing="why"), runs=4, budget=1, timeout=1)["missing"]
        == "why"
    )


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_reader_pages_are_every_page_every_list_filter_and_every_claim_filter(small_record):
    from django.contrib import admin
    from django.contrib.auth import get_user_model

    from agencies.core.filters import ClaimFilter
    from bench.pages import SKIPPED, reader_pages, record_context, url_names

    user = get_user_model().objects.create_superuser("bench", "bench@example.org", None)
    pages = reader_pages(record_context(user))
    names = [page.name for page in pages]
    assert len(names) == len(set(names))
    for model, model_admin in admin.site._registry.items():
        changelist = f"admin.{model._meta.app_label}.{model._meta.model_name}"
        assert changelist in names
        filters = [name for name in names if name.startswith(f"{changelist}.") and name.count(".") == 3]
        filters = [name for name in filters if not name.endswith(".change")]
        assert len(filters) == len(model_admin.list_filter), changelist
        assert (f"{changelist}.change" in names) == bool(model_admin.inlines)
    for name in ClaimFilter.base_filters:
        assert any(page == f"claims.{name}" or page.startswith(f"claims.{name}_") for page in names), name
    for name, _arguments in url_names():
        short = name.rpartition(":")[2]
        assert name in SKIPPED or any(page == short or page.startswith(f"{short}.") for page in names), name
    # Each is filled in: a URL, and for a briefing request the form it posts.
    by_name = {page.name: page for page in pages}
    assert by_name["claims.q_rare"].url.endswith("?q=Kestorine")
    assert by_name["claims_brief"].method == "POST" and by_name["claims_brief"].data["filter"]
    assert all(page.url for page in pages if not page.missing)


# --- the explorer under load ------------------------------------------------------------------------------

WRK_REPORT = """Running 20s test @ http://127.0.0.1:8000/claims/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   150.00ms   20.00ms    1.20s    80.00%
    Req/Sec    25.00      5.00    40.00     70.00%
  Latency Distribution
     50%  140.00ms
     75%  810.00us
     90%  200.00ms
     99%    1.25s
  1000 requests in 20.01s, 50.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 5
Requests/sec:     49.98
Transfer/sec:      2.50MB
"""


def test_wrk_reports_are_read_in_milliseconds():
    from bench.load import parse_wrk

    parsed = parse_wrk(WRK_REPORT)
    assert parsed["requests"] == 1000 and parsed["seconds"] == pytest.approx(20.01)
    assert parsed["rps"] == 49.98
    assert parsed["latency_ms"] == {"p50": 140.0, "p75": 0.81, "p90": 200.0, "p99": 1250.0}
    assert parsed["socket_errors"] == 3 and parsed["non_2xx"] == 5
    clean = parse_wrk(WRK_REPORT.replace("  Socket errors: connect 0, read 1, write 0, timeout 2\n", ""))
    assert clean["socket_errors"] == 0
    with pytest.raises(ValueError, match="not a wrk report"):
        parse_wrk("wrk: command failed")


def test_load_figures_compare_requests_per_second_and_read_p99():
    from bench.load import parse_wrk
    from bench.run import load_figures

    large = {**parse_wrk(WRK_REPORT), "connections": 8, "gunicorn": ["oversight.wsgi", "--workers", "3"]}
    small = {**large, "rps": 62.0, "non_2xx": 0, "socket_errors": 0}
    built = {f.name: f for f in load_figures({"load_small": small, "load_large": large}, {}, scale=20_000)}
    assert built["load.explorer_rps_ratio"].value == pytest.approx(49.98 / 62)
    assert built["load.explorer_rps_ratio"].verdict == "ok"
    assert "gunicorn oversight.wsgi --workers 3" in built["load.explorer_rps_ratio"].note
    assert "5 answers not 2xx or 3xx" in built["load.explorer_rps_ratio"].note
    assert built["load.explorer_p99_ms"].value == 1250 and built["load.explorer_p99_ms"].verdict == "MISS"
    missing = load_figures({}, {}, scale=20_000)
    assert all(f.value is None and "did not run" in f.note for f in missing)


def test_the_readme_table_of_pages_gives_both_sizes_and_the_verdict():
    from bench.run import reader_figures
    from bench.stats import pages_markdown

    document = results_document(20_000, reader_figures(reader_raw(), {}, scale=20_000))
    lines = pages_markdown(document).splitlines()
    assert lines[0] == "| page | ms at 1,000 | ms at 20,000 | ratio | |"
    assert "| `claims` | 50 | 75 | 1.50 | ok |" in lines
    assert "| `admin.agencies.claim` | 100 | 400 | 4.00 | MISS |" in lines
    assert "| `admin.axes.accesslog.path_info` | — | — | — | n/a |" in lines
    assert len(lines) == 2 + 6
