"""The explorer under load: the `load` section of bench.measure.

gunicorn serves Oversight as the README's Deploying section runs it (`gunicorn oversight.wsgi --workers
3 --timeout 60`, on 127.0.0.1 only); wrk keeps 8 connections busy on /claims/ for --load-seconds
with a logged-in superuser's session cookie, after a short warm-up, and reports requests per second
and the latency distribution. parse_wrk reads its report.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.measure import BASE_DIR, bench_client
from bench.redis_server import free_port

CONNECTIONS = 8
THREADS = 2
WARM_SECONDS = 3
GUNICORN = ["oversight.wsgi", "--workers", "3", "--timeout", "60"]  # the README's Deploying section

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+(\d+(?:\.\d+)?)(us|ms|s|m|h)\s*$", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in (\d+(?:\.\d+)?)(us|ms|s|m|h)", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+(\d+(?:\.\d+)?)", re.MULTILINE)
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk(report: str) -> dict:
    """wrk's report (run with --latency) as numbers: requests, seconds, requests/s, the latency
    percentiles in ms, socket errors and answers that were not 2xx or 3xx."""
    requests = _REQUESTS.search(report)
    rate = _RATE.search(report)
    if requests is None or rate is None:
        raise ValueError(f"not a wrk report: {report[:200]!r}")
    socket = _SOCKET.search(report)
    non_2xx = _NON_2XX.search(report)
    return {
        "requests": int(requests.group(1)),
        "seconds": float(requests.group(2)) * _UNITS[requests.group(3)] / 1000,
        "rps": float(rate.group(1)),
        "latency_ms": {
            f"p{float(p):g}": float(value) * _UNITS[unit] for p, value, unit in _PERCENTILE.findall(report)
        },
        "socket_errors": sum(int(n) for n in socket.groups()) if socket else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _wrk(url: str, cookie: str, seconds: float) -> str:
    command = [
        "wrk",
        f"--threads={THREADS}",
        f"--connections={CONNECTIONS}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        "--latency",
        f"--header=Cookie: {cookie}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)  # noqa: S603
    return done.stdout


def _serving(url: str, cookie: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Wait until gunicorn answers the explorer with 200 to the session (a 302 is the login page)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}: {log.read_text()[-600:]}")
        try:
            with opener.open(urllib.request.Request(url, headers={"Cookie": cookie}), timeout=30) as answer:  # noqa: S310
                if answer.status == 200:
                    return
                raise RuntimeError(f"the explorer answered {answer.status} under gunicorn")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"the explorer answered {exc.code} under gunicorn") from exc
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn did not answer in {timeout:.0f} s: {log.read_text()[-600:]}"
                ) from None
            time.sleep(0.5)


def section_load(args, result: dict) -> None:
    from django.conf import settings
    from django.db import connection
    from django.urls import reverse

    from agencies.models import Claim

    if shutil.which("wrk") is None:
        result["missing"] = "wrk is not installed (make system-deps, or apt-get install wrk)"
        return
    client = bench_client()
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    result["claims"] = Claim.objects.count()
    connection.close()  # the measuring process holds no connection while the server works
    port = free_port()
    url = f"http://127.0.0.1:{port}{reverse('agencies:claims')}"
    folder = Path(tempfile.mkdtemp(prefix="oversight-bench-load-"))
    log = folder / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "gunicorn", *GUNICORN, "--bind", f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _serving(url, cookie, server, log)
        _wrk(url, cookie, WARM_SECONDS)  # each worker's first requests: imports, templates, connections
        report = _wrk(url, cookie, args.load_seconds)
        result.update(parse_wrk(report), report=report, url=url, connections=CONNECTIONS, gunicorn=GUNICORN)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
    shutil.rmtree(folder, ignore_errors=True)
